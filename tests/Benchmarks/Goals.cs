using DnsSync.Benchmarks.Harness;
using DnsSync.Benchmarks.Scenarios;
using static DnsSync.Benchmarks.Harness.ResultWriter;

namespace DnsSync.Benchmarks;

/// <summary>The goals of issues 8, 12, 13 and 14, checked against a run's numbers.</summary>
internal static class Goals
{
    public const double LatencyP50Ms = 1000;
    public const double MaxRequestsPerRecord = 1.0;
    public const double MinCreateVsBaseline = 0.7;
    public const double MaxClaimRatio = 2;

    // Issue 12.
    public const double BulkMaxSeconds = 60;
    public const double MaxBatchedRequestsPerRecord = 0.01;
    public const double MaxSlowdownWithMoreWorkers = 1.0;
    public const int CloudflareRequestsPerWindow = 1200;
    public const double FailoverMaxSeconds = 30;
    public const double MaxWorkerPeakRssMiB = 100;

    /// <summary>What the provider-limit column says for a run at Cloudflare's limits (the emulator's defaults).</summary>
    public const string RealLimit = "real (1,200 / 300 s)";

    public const string LiftedLimit = "lifted";

    public static IEnumerable<GoalResult> Evaluate(BenchResults r)
    {
        foreach (var l in r.Latency)
            yield return new GoalResult($"create → active p50, emulator +{l.EmulatorLatencyMs} ms", $"≤ {Ms(LatencyP50Ms)} (Go: {GoSystem.PollIntervalSeconds:F0} s poll)",
                Ms(l.LatencyMs.P50), l.LatencyMs.Count > 0 && l.LatencyMs.P50 <= LatencyP50Ms) { ProviderLimit = RealLimit };
        if (r.Convergence is { } c)
            yield return new GoalResult("provider requests per created record (issue 8)", $"≤ {F(MaxRequestsPerRecord, 1)} (Go: {F(GoSystem.RequestsPerCreatedRecord, 0)})",
                $"{F(c.RequestsPerRecord, 3)} ({F(c.RatioVsGo, 3)} × Go)", c.RequestsPerRecord <= MaxRequestsPerRecord) { ProviderLimit = LiftedLimit };
        if (r.Throughput is { } t)
            yield return new GoalResult($"api creates vs direct INSERT at concurrency {t.Concurrency}", $"≥ {F(MinCreateVsBaseline, 1)}",
                $"{F(t.CreateVsBaseline, 2)} ({F(t.ApiCreate.PerSecond, 0)} vs {F(t.BaselineInsert.PerSecond, 0)}/s)",
                t.CreateVsBaseline >= MinCreateVsBaseline);
        if (r.ClaimCost is { } k)
            yield return new GoalResult($"claim p50, {k.Large.Rows:N0} vs {k.Small.Rows:N0} rows", $"≤ {F(MaxClaimRatio, 0)}",
                $"{F(k.P50Ratio, 2)} ({Ms(k.Large.Ms.P50)} vs {Ms(k.Small.Ms.P50)})", k.P50Ratio <= MaxClaimRatio);
        foreach (var goal in SecondWave(r)) yield return goal;
    }

    // Issues 14 and 12: lists at a million rows, bulk create through the api, a cheaper single create; worker bulk create, failover, faults, memory.
    public const double MaxListP50Ms = 20;
    public const double MaxBulkSeconds = 5;
    public const double MinCreateBatchVsBaseline = 0.5;
    public const double MinApiCreateVsBaseline14 = 0.4;

    private static IEnumerable<GoalResult> SecondWave(BenchResults r)
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
        foreach (var goal in BulkCreate(r.BulkCreate.Where(b => !b.Diagnostic).ToList())) yield return goal;
        if (r.Failover.FirstOrDefault(f => !f.Diagnostic) is { } f)
        {
            yield return new GoalResult($"failover: {f.Records:N0} value changes, first change → all active", $"≤ {F(FailoverMaxSeconds, 0)} s",
                Seconds(f), f.Converged && f.WallSeconds <= FailoverMaxSeconds) { ProviderLimit = Limit(f) };
            yield return PerRecord($"failover: provider requests per changed record", f);
        }
        if (r.Faults is { } x)
        {
            var a = x.Audit;
            yield return new GoalResult($"faults: {x.Records:N0} creates under a fault mix, duplicates / orphans / rows stuck", "0 / 0 / 0",
                $"{a.Duplicates} / {a.Orphans} / {a.Stuck}" + (a.Wrong > 0 ? $" ({a.Wrong} wrong)" : "") + (x.Converged ? "" : ", not converged"),
                x.Converged && a.Clean) { ProviderLimit = Limit(x) };
            yield return new GoalResult("faults: provider requests per record", "reported", $"{F(x.RequestsPerRecord, 3)} ({x.ProviderRequests:N0} requests)", true)
                { ProviderLimit = Limit(x) };
        }
        if (MemoryGoal(r) is { } memory) yield return memory;
        if (r.Audit is { } audit) foreach (var goal in Audit(audit)) yield return goal;
    }

    // Issue 13: the drift audit.
    public const double AuditMaxSeconds = 5;
    public const double RepairMaxSeconds = 10;

    private static IEnumerable<GoalResult> Audit(AuditResult a)
    {
        yield return new GoalResult($"audit of a {a.Records:N0}-record zone: provider requests", $"⌈records / 5,000⌉ = {a.ExpectedRequests}",
            $"{a.AuditRequests} ({a.ListRequests} listings logged)", a.AuditRequests == a.ExpectedRequests && a.ListRequests == a.ExpectedRequests) { ProviderLimit = RealLimit };
        yield return new GoalResult($"audit of a {a.Records:N0}-record zone: request → outcome", $"≤ {F(AuditMaxSeconds, 0)} s",
            $"{F(a.AuditSeconds, 2)} s ({a.AuditWorkerMs:N0} ms in the worker)", a.InSync == a.Records && a.AuditSeconds <= AuditMaxSeconds) { ProviderLimit = RealLimit };
        yield return new GoalResult($"time to repair {a.HandEdits} hand-edited records (audit asked for at once)", $"≤ {F(RepairMaxSeconds, 0)} s",
            a.Repaired == a.HandEdits ? $"{F(a.RepairSeconds, 2)} s, {a.RepairRequests} requests" : $"{a.Repaired} of {a.HandEdits} repaired after {F(a.RepairSeconds, 0)} s",
            a.Repaired == a.HandEdits && a.RepairSeconds <= RepairMaxSeconds) { ProviderLimit = RealLimit };
    }

    private static IEnumerable<GoalResult> BulkCreate(IReadOnlyList<WorkerRun> runs)
    {
        var single = runs.Where(b => b.Workers == 1).ToList();
        if (single.Count == 0) yield break;
        var one = MedianRound(single);
        yield return new GoalResult($"bulk create: {one.Records:N0} records, {one.Zones} zones, 1 worker, start → all active", $"≤ {F(BulkMaxSeconds, 0)} s",
            Seconds(one) + Rounds(single), single.All(b => b.Converged && b.WallSeconds <= BulkMaxSeconds)) { ProviderLimit = Limit(one) };
        yield return TooManyRequests("bulk create, 1 worker: responses 429", single);
        yield return PerRecord("bulk create, 1 worker: provider requests per record", single.MaxBy(b => b.RequestsPerRecord)!);
        var multiple = runs.Where(b => b.Workers > 1).ToList();
        if (multiple.Count == 0) yield break;
        var many = MedianRound(multiple);
        var ratio = Stats.Ratio(many.WallSeconds, one.WallSeconds);
        yield return new GoalResult($"bulk create, {many.Workers} workers: time vs 1 worker", $"≤ {F(MaxSlowdownWithMoreWorkers, 2)} (no slower)",
            $"{F(ratio, 2)} ({Seconds(many)} vs {F(one.WallSeconds, 1)} s{(single.Count > 1 ? ", medians" : "")})" + Rounds(multiple),
            multiple.All(b => b.Converged) && ratio <= MaxSlowdownWithMoreWorkers) { ProviderLimit = Limit(many) };
        yield return TooManyRequests($"bulk create, {many.Workers} workers: responses 429", multiple);
        var busiest = multiple.MaxBy(b => b.MaxRequestsInWindow)!;
        yield return new GoalResult($"bulk create, {many.Workers} workers: most requests in any {F(many.LimitWindowSeconds, 0)} s (emulator log)",
            $"≤ {CloudflareRequestsPerWindow:N0}", $"{busiest.MaxRequestsInWindow:N0}", busiest.MaxRequestsInWindow <= CloudflareRequestsPerWindow) { ProviderLimit = Limit(many) };
    }

    /// <summary>The round with the median wall time (the lower middle of an even count).</summary>
    internal static WorkerRun MedianRound(IReadOnlyList<WorkerRun> rounds) => rounds.OrderBy(b => b.WallSeconds).ElementAt((rounds.Count - 1) / 2);

    private static string Rounds(IReadOnlyList<WorkerRun> rounds) =>
        rounds.Count > 1 ? $"; rounds {string.Join(" / ", rounds.Select(b => F(b.WallSeconds, 1)))} s" : "";

    /// <summary>Peak RSS of a worker that converged a bulk backlog on its own (scenario 2, and 6 with one worker).</summary>
    private static GoalResult? MemoryGoal(BenchResults r)
    {
        var measured = new List<(string Where, double MiB, string Limit)>();
        // The highest of the rounds: a peak goal holds only if every run kept to it.
        if (r.BulkCreate.Where(b => b.Workers == 1 && !b.Diagnostic && b.WorkerPeakRssMiB.Count == 1).MaxBy(b => b.WorkerPeakRssMiB.Values.Single()) is { } bulk)
            measured.Add(($"bulk create, {bulk.Records:N0} records (6)", bulk.WorkerPeakRssMiB.Values.Single(), RealLimit));
        if (r.Convergence is { } c && r.Memory.PeakRssMiB.TryGetValue(ThroughputAndConvergence.WorkerRssKey, out var mib))
            measured.Add(($"convergence, {c.Records:N0} records (2)", mib, LiftedLimit));
        if (measured.Count == 0) return null;
        return new GoalResult("worker peak RSS after converging a bulk backlog", $"≤ {F(MaxWorkerPeakRssMiB, 0)} MiB (118 before)",
            string.Join("; ", measured.Select(m => $"{F(m.MiB, 0)} MiB ({m.Where})")), measured.All(m => m.MiB <= MaxWorkerPeakRssMiB))
        {
            ProviderLimit = string.Join("; ", measured.Select(m => m.Limit).Distinct()),
        };
    }

    private static GoalResult TooManyRequests(string goal, IReadOnlyList<WorkerRun> runs) =>
        new(goal, "0", $"{runs.Sum(b => b.RateLimited)}", runs.All(b => b.RateLimited == 0)) { ProviderLimit = Limit(runs[0]) };

    private static GoalResult PerRecord(string goal, WorkerRun run) =>
        new(goal, $"≤ {F(MaxBatchedRequestsPerRecord, 2)}", $"{F(run.RequestsPerRecord, 3)} ({run.ProviderRequests:N0} requests)",
            run.RequestsPerRecord <= MaxBatchedRequestsPerRecord) { ProviderLimit = Limit(run) };

    private static string Seconds(WorkerRun run) => run.Converged ? $"{F(run.WallSeconds, 1)} s" : $"not converged after {F(run.WallSeconds, 0)} s";

    private static string Limit(WorkerRun run) => run.ProviderLimitLifted ? LiftedLimit : RealLimit;
}
