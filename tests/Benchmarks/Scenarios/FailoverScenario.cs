using System.Diagnostics;
using DnsSync.Benchmarks.Harness;
using DnsSync.Testing;

namespace DnsSync.Benchmarks.Scenarios;

/// <summary>
/// Scenario 7 (issue 12): a failover — the value of every record changes at once (all A records move to other
/// addresses) — under Cloudflare's real limits, with a worker at its defaults already running. Timed from the first
/// change sent to the api until every row is active with the new value applied. The records are made active first by
/// a set-up worker that claims them all in one pass (a few dozen requests, so the measured run has the rate window
/// nearly to itself); a diagnostic round with a larger claim follows on the same records.
/// </summary>
internal static class FailoverScenario
{
    private const string Prefix = "fo-";
    private const int SetupBatchSize = 5000;

    public static async Task RunAsync(BenchSettings settings, BenchResults results, string logDirectory, CancellationToken cancellationToken)
    {
        var n = settings.FailoverRecords;
        var (stack, domainIds) = await WorkerRuns.StartStackAsync(Path.Combine(logDirectory, "failover"), settings.Zones, WorkerRuns.RealLimit, cancellationToken);
        await using (stack)
        {
            Console.WriteLine($"[failover] set-up: {n} records in {domainIds.Length} zones made active");
            var (ids, _) = await WorkerRuns.CreateAsync(stack, domainIds, n, Prefix, cancellationToken);
            stack.StartWorker(new Dictionary<string, string?> { ["DnsWorker__BatchSize"] = $"{SetupBatchSize}" });
            if (!await WorkerRuns.WaitUntilSyncedAsync(stack.ConnectionString, Prefix, n, settings.WorkerRunTimeout, cancellationToken))
                throw new InvalidOperationException("failover set-up: the records did not become active");

            var rounds = new List<(string Label, IReadOnlyDictionary<string, string?> Settings, bool Diagnostic)> { ("1 worker", new Dictionary<string, string?>(), false) };
            if (settings.DiagnosticBatchSize is { } batch)
                rounds.Add(($"diagnostic: 1 worker, DnsWorker__BatchSize={batch}", new Dictionary<string, string?> { ["DnsWorker__BatchSize"] = $"{batch}" }, true));
            for (var round = 0; round < rounds.Count; round++)
            {
                var (label, workerSettings, diagnostic) = rounds[round];
                var changes = ids.Select((id, i) => (id, StackOps.Address((round + 1) * 1_000_000L + i))).ToList();
                var run = await ChangeAllAsync(settings, stack, label, workerSettings, diagnostic, changes, cancellationToken);
                results.Failover.Add(run);
                foreach (var (worker, mib) in run.WorkerPeakRssMiB) results.Memory.PeakRssMiB[$"{worker}, after failover ({label}) (7)"] = mib;
            }
        }
    }

    private static async Task<WorkerRun> ChangeAllAsync(BenchSettings settings, LocalStack stack, string label, IReadOnlyDictionary<string, string?> workerSettings,
        bool diagnostic, IReadOnlyList<(long Id, string Value)> changes, CancellationToken cancellationToken)
    {
        // The worker of the set-up (or of the previous round) goes; this round's is up and idle before the changes,
        // as a failover's worker would be: its start-up is not part of what a failover waits for.
        foreach (var running in stack.Workers.Where(w => !w.HasExited)) await running.TerminateAsync(TimeSpan.FromSeconds(30));
        var worker = stack.StartWorker(workerSettings);
        await StackOps.WaitForLogAsync(worker, "started:", TimeSpan.FromSeconds(60), cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        var before = (await StackOps.ProviderLogAsync(stack, cancellationToken)).Count;

        Console.WriteLine($"[failover] {label}: changing the value of {changes.Count} records through the api");
        var startedAt = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var split = CpuSplit.Start(StackOps.Pids(stack));
        await using var locks = LockWaitSampler.Start(stack.ConnectionString);
        var submitSeconds = await WorkerRuns.UpdateAsync(stack.ApiClient, changes, settings.Concurrency, cancellationToken);
        var converged = await WorkerRuns.WaitUntilSyncedAsync(stack.ConnectionString, Prefix, changes.Count, settings.WorkerRunTimeout, cancellationToken);
        var wall = clock.Elapsed.TotalSeconds;
        var cpu = split.Stop();
        var lockWaits = await locks.StopAsync();
        return await WorkerRuns.SummarizeAsync(
            new WorkerRunSetup(label, 1, changes.Count, submitSeconds, "first change", workerSettings, WorkerRuns.RealLimit, diagnostic),
            stack, before, startedAt, wall, converged, cpu, lockWaits, [worker], cancellationToken);
    }
}
