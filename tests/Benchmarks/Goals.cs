using DnsSync.Benchmarks.Harness;
using DnsSync.Benchmarks.Scenarios;
using static DnsSync.Benchmarks.Harness.ResultWriter;

namespace DnsSync.Benchmarks;

/// <summary>The goals of issue 8, checked against a run's numbers.</summary>
internal static class Goals
{
    public const double LatencyP50Ms = 1000;
    public const double MaxRequestsPerRecord = 1.0;
    public const double MinCreateVsBaseline = 0.7;
    public const double MaxClaimRatio = 2;

    public static IEnumerable<GoalResult> Evaluate(BenchResults r)
    {
        foreach (var l in r.Latency)
            yield return new GoalResult($"create → active p50, emulator +{l.EmulatorLatencyMs} ms", $"≤ {Ms(LatencyP50Ms)} (Go: {GoSystem.PollIntervalSeconds:F0} s poll)",
                Ms(l.LatencyMs.P50), l.LatencyMs.Count > 0 && l.LatencyMs.P50 <= LatencyP50Ms);
        if (r.Convergence is { } c)
            yield return new GoalResult("provider requests per created record", $"≤ {F(MaxRequestsPerRecord, 1)} (Go: {F(GoSystem.RequestsPerCreatedRecord, 0)})",
                $"{F(c.RequestsPerRecord, 3)} ({F(c.RatioVsGo, 3)} × Go)", c.RequestsPerRecord <= MaxRequestsPerRecord);
        if (r.Throughput is { } t)
            yield return new GoalResult($"api creates vs direct INSERT at concurrency {t.Concurrency}", $"≥ {F(MinCreateVsBaseline, 1)}",
                $"{F(t.CreateVsBaseline, 2)} ({F(t.ApiCreate.PerSecond, 0)} vs {F(t.BaselineInsert.PerSecond, 0)}/s)",
                t.CreateVsBaseline >= MinCreateVsBaseline);
        if (r.ClaimCost is { } k)
            yield return new GoalResult($"claim p50, {k.Large.Rows:N0} vs {k.Small.Rows:N0} rows", $"≤ {F(MaxClaimRatio, 0)}",
                $"{F(k.P50Ratio, 2)} ({Ms(k.Large.Ms.P50)} vs {Ms(k.Small.Ms.P50)})", k.P50Ratio <= MaxClaimRatio);
        foreach (var goal in Issue14(r)) yield return goal;
    }

    // Issue 14: lists at a million rows, bulk create, and a cheaper single create.
    public const double MaxListP50Ms = 20;
    public const double MaxBulkSeconds = 5;
    public const double MinCreateBatchVsBaseline = 0.5;
    public const double MinApiCreateVsBaseline14 = 0.4;

    private static IEnumerable<GoalResult> Issue14(BenchResults r)
    {
        if (r.ApiScale is { } s)
        {
            foreach (var list in s.Lists.Where(l => l.Concurrency == 1))
                yield return new GoalResult($"list p50, {list.Name}, {s.RowsInTable:N0} rows", $"≤ {Ms(MaxListP50Ms)} (267 ms at 428,672 before)",
                    Ms(list.Result.LatencyMs.P50), list.Result.Operations > 0 && list.Result.LatencyMs.P50 <= MaxListP50Ms);
            yield return new GoalResult($"{s.BulkRecords:N0} records through bulk-create", $"≤ {F(MaxBulkSeconds, 0)} s (16 s through single creates)",
                $"{F(s.BulkSeconds, 2)} s", s.BulkSeconds <= MaxBulkSeconds);
        }
        if (r.Throughput is { CreateBatchDirect: { } direct } t)
        {
            var ratio = Stats.Ratio(direct.PerSecond, t.BaselineInsert.PerSecond);
            yield return new GoalResult("create batch sent directly vs bare INSERT", $"≥ {F(MinCreateBatchVsBaseline, 1)} (0.22 before)",
                $"{F(ratio, 2)} ({F(direct.PerSecond, 0)} vs {F(t.BaselineInsert.PerSecond, 0)}/s)", ratio >= MinCreateBatchVsBaseline);
            yield return new GoalResult("api creates vs bare INSERT (issue 14)", $"≥ {F(MinApiCreateVsBaseline14, 1)} (0.19 before)",
                $"{F(t.CreateVsBaseline, 2)}", t.CreateVsBaseline >= MinApiCreateVsBaseline14);
        }
    }
}
