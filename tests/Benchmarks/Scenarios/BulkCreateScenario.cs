using System.Diagnostics;
using DnsSync.Benchmarks.Harness;

namespace DnsSync.Benchmarks.Scenarios;

/// <summary>
/// Scenario 6 (issue 12): first creates over 10 zones under one token, the emulator at Cloudflare's real limits
/// (1,200 requests per 300 s, 200 changes per batch) and the worker at its defaults. The backlog is written through
/// the api with no worker running, then the workers are started and timed until every row is active: once with one
/// worker, once with three (which share the token's budget through the database), each on a fresh stack so neither
/// inherits the other's rate window. A diagnostic run with a larger claim shows what bounds requests per record.
/// </summary>
internal static class BulkCreateScenario
{
    private const string Prefix = "bk-";

    public static async Task RunAsync(BenchSettings settings, BenchResults results, string logDirectory, CancellationToken cancellationToken)
    {
        var defaults = new Dictionary<string, string?>();
        var runs = new List<(string Label, int Workers, IReadOnlyDictionary<string, string?> Settings, bool Diagnostic, int Round)>();
        // Alternating, so a drift of the machine (page cache, another process) falls on both sides alike.
        for (var round = 1; round <= settings.BulkRounds; round++)
        {
            runs.Add(("1 worker", 1, defaults, false, round));
            runs.Add(($"{settings.BulkWorkers} workers", settings.BulkWorkers, defaults, false, round));
        }
        if (settings.DiagnosticBatchSize is { } batch)
            runs.Add(($"diagnostic: 1 worker, DnsWorker__BatchSize={batch}", 1, new Dictionary<string, string?> { ["DnsWorker__BatchSize"] = $"{batch}" }, true, 1));

        for (var i = 0; i < runs.Count; i++)
        {
            var (label, workers, workerSettings, diagnostic, round) = runs[i];
            var run = await RunOnceAsync(settings, label, workers, workerSettings, diagnostic, Path.Combine(logDirectory, $"bulk-{i + 1}"), cancellationToken)
                with { Round = round };
            results.BulkCreate.Add(run);
            var roundLabel = settings.BulkRounds > 1 && !diagnostic ? $"{label}, round {round}" : label;
            foreach (var (worker, mib) in run.WorkerPeakRssMiB)
                results.Memory.PeakRssMiB[$"{worker}, after bulk create ({roundLabel}) (6)"] = mib;
        }
    }

    private static async Task<WorkerRun> RunOnceAsync(BenchSettings settings, string label, int workers, IReadOnlyDictionary<string, string?> workerSettings,
        bool diagnostic, string logDirectory, CancellationToken cancellationToken)
    {
        var n = settings.BulkRecords;
        var (stack, domainIds) = await WorkerRuns.StartStackAsync(logDirectory, settings.Zones, WorkerRuns.RealLimit, cancellationToken);
        await using (stack)
        {
            Console.WriteLine($"[bulk] {label}: creating {n} records in {domainIds.Length} zones through the api");
            var (_, submitSeconds) = await WorkerRuns.CreateAsync(stack, domainIds, n, Prefix, cancellationToken);
            var before = (await StackOps.ProviderLogAsync(stack, cancellationToken)).Count;

            Console.WriteLine($"[bulk] {label}: starting {workers} worker(s)");
            var startedAt = DateTimeOffset.UtcNow;
            var clock = Stopwatch.StartNew();
            for (var w = 0; w < workers; w++) stack.StartWorker(workerSettings);
            var split = CpuSplit.Start(StackOps.Pids(stack));
            await using var locks = LockWaitSampler.Start(stack.ConnectionString);
            var converged = await WorkerRuns.WaitUntilSyncedAsync(stack.ConnectionString, Prefix, n, settings.WorkerRunTimeout, cancellationToken);
            var wall = clock.Elapsed.TotalSeconds;
            var cpu = split.Stop();
            var lockWaits = await locks.StopAsync();
            return await WorkerRuns.SummarizeAsync(
                new WorkerRunSetup(label, workers, n, submitSeconds, "worker start", workerSettings, WorkerRuns.RealLimit, diagnostic),
                stack, before, startedAt, wall, converged, cpu, lockWaits, stack.Workers, cancellationToken);
        }
    }
}
