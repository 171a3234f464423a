namespace DnsSync.Benchmarks.Harness;

/// <summary>Sections 6–8 (issue 12): runs of worker processes against a backlog.</summary>
internal static partial class ResultWriter
{
    private static void RenderWorkerRuns(BenchResults r, Action<string> line)
    {
        void Line(string text = "") => line(text);

        if (r.BulkCreate.Count > 0)
        {
            var first = r.BulkCreate[0];
            Line("### 6. Bulk create under the real limit");
            Line();
            Line($"{first.Records:N0} first creates (A records) over {first.Zones} zones under one token, written through the api's bulk-create route (1,000 per request) with no worker running "
                 + $"({string.Join(", ", r.BulkCreate.Select(b => $"{F(b.SubmitSeconds, 1)} s"))}); then the worker(s) started and timed from the start "
                 + "until every row was active. Each run on a fresh stack (database, emulator, api), so none inherits another's rate window"
                 + (r.BulkCreate.Max(b => b.Round) > 1 ? "; the rounds alternate 1 worker and several, and the goals take each side's median round." : "."));
            Line();
            RunTable(r.BulkCreate, Line);
        }

        if (r.Failover.Count > 0)
        {
            var first = r.Failover[0];
            Line("### 7. Failover: value changes of active records");
            Line();
            Line($"{first.Records:N0} active A records over {first.Zones} zones (made active beforehand by a set-up worker claiming them all at once); "
                 + "a worker already running and idle; then every record's value changed through the api "
                 + $"({string.Join(", ", r.Failover.Select(f => $"{F(f.SubmitSeconds, 1)} s"))}), timed from the first change until every row was active with its new value applied. "
                 + "The rounds ran one after the other on the same stack.");
            Line();
            RunTable(r.Failover, Line);
        }

        if (r.Faults is { } x)
        {
            Line("### 8. Bulk create under faults");
            Line();
            Line($"{x.Records:N0} first creates over {x.Zones} zones as in 6, one worker, while every DNS records request of the worker risked each of: "
                 + "the change applied then answered 500, the change applied then the connection dropped, a 429 with Retry-After 1 s. Faults stayed on to the end; "
                 + "then the emulator's records were compared with the rows.");
            Line();
            RunTable([x], Line);
            if (x.Faults is { } faults)
                Line("Faults injected: " + string.Join(", ", faults.OrderBy(f => f.Key).Select(f => $"{f.Key} {f.Value:N0}")) + ".");
            Line();
        }
    }

    /// <summary>The run's label, with its round when the label repeats.</summary>
    private static string RunName(WorkerRun run, IReadOnlyList<WorkerRun> runs) =>
        runs.Count(r => r.Label == run.Label) > 1 ? $"{run.Label}, round {run.Round}" : run.Label;

    private static void RunTable(IReadOnlyList<WorkerRun> runs, Action<string> line)
    {
        void Line(string text = "") => line(text);

        Line("| run | wall time | first request after | records/s | provider requests | per record | busiest 300 s | 429s | duplicates / orphans / stuck / wrong | provider limit |");
        Line("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var run in runs)
        {
            var wall = run.Converged ? $"{F(run.WallSeconds, 1)} s" : $"**not converged** ({F(run.WallSeconds, 0)} s)";
            var a = run.Audit;
            Line($"| {RunName(run, runs)} | {wall} | {(run.FirstRequestSeconds is { } first ? $"{F(first, 1)} s" : "—")} | {F(run.RecordsPerSecond, 0)} | {run.ProviderRequests:N0} | {F(run.RequestsPerRecord, 4)} | {run.MaxRequestsInWindow:N0} | "
                 + $"{run.RateLimited} | {a.Duplicates} / {a.Orphans} / {a.Stuck} / {a.Wrong} | {(run.ProviderLimitLifted ? "lifted" : "real")} |");
        }
        Line();
        Line($"Wall time runs from {runs[0].TimedFrom} to the last row seen synced (polled every 100 ms); first request after: from {runs[0].TimedFrom} to the "
             + "first provider request in the emulator's log (start-up and first pass, or reaction). Busiest 300 s: the most requests one token made "
             + "in any 300 s (sliding, as the limit counts; 429s excluded), from the emulator's request log.");
        foreach (var run in runs)
        {
            Line();
            Line($"- {RunName(run, runs)}: requests by kind: {string.Join(", ", run.RequestsByKind.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value:N0}"))}; "
                 + $"worker settings: {Settings(run.WorkerSettings)}; emulator: `{string.Join(' ', run.EmulatorArgs)}`; "
                 + $"worker peak RSS: {string.Join(", ", run.WorkerPeakRssMiB.Select(w => $"{w.Key} {F(w.Value, 0)} MiB"))}; "
                 + $"CPU seconds: {Cpu(run.CpuSeconds)}; transactions waiting for a row lock (mean of samples every 100 ms): "
                 + (run.LockWaits.Count == 0 ? "none seen" : string.Join(", ", run.LockWaits.OrderByDescending(l => l.Value).Select(l => $"{l.Key} {F(l.Value, 2)}"))) + ".");
            foreach (var example in run.Audit.Examples) Line($"  - {example}");
        }
        Line();
    }
}
