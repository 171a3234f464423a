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
    }
}
