using System.Diagnostics;
using System.Net.Http.Json;
using DnsSync.Benchmarks.Harness;
using DnsSync.Testing;

namespace DnsSync.Benchmarks.Scenarios;

/// <summary>
/// Scenario 8 (issue 12): the bulk create of scenario 6 (one worker) while the emulator injects, into every DNS
/// records request, changes applied and then answered 500, changes applied and the connection dropped, and 429s with
/// Retry-After 1 s. Faults stay on to the end. Afterwards the provider's records are audited against the rows:
/// stale duplicates, orphans, rows not active. The provider's rate limit is lifted (the point is correctness under
/// faults, and retries after faults cost requests a real limit would turn into a 5-minute wait), and the retry backoff
/// is scaled down from 30 s·2ⁿ to 1 s·2ⁿ (at most 16 s) so retries happen within the run; both are said with the numbers.
/// </summary>
internal static class FaultMixScenario
{
    private const string Prefix = "ft-";

    public static readonly IReadOnlyDictionary<string, string?> WorkerSettings = new Dictionary<string, string?>(WorkerRuns.LiftedBudget)
    {
        ["DnsWorker__RetryBaseSec"] = "1",
        ["DnsWorker__RetryMaxSec"] = "16",
    };

    public static async Task RunAsync(BenchSettings settings, BenchResults results, string logDirectory, CancellationToken cancellationToken)
    {
        var n = settings.FaultRecords;
        var (stack, domainIds) = await WorkerRuns.StartStackAsync(Path.Combine(logDirectory, "faults"), settings.Zones, WorkerRuns.LiftedLimit, cancellationToken);
        await using (stack)
        {
            Console.WriteLine($"[faults] creating {n} records in {domainIds.Length} zones through the api");
            var (_, submitSeconds) = await WorkerRuns.CreateAsync(stack, domainIds, n, Prefix, cancellationToken);
            await AddFaultsAsync(stack, settings.FaultRate, cancellationToken);
            var before = (await StackOps.ProviderLogAsync(stack, cancellationToken)).Count;

            Console.WriteLine($"[faults] starting the worker; each fault kind on {settings.FaultRate:P0} of DNS records requests");
            var startedAt = DateTimeOffset.UtcNow;
            var clock = Stopwatch.StartNew();
            stack.StartWorker(WorkerSettings);
            var split = CpuSplit.Start(StackOps.Pids(stack));
            await using var locks = LockWaitSampler.Start(stack.ConnectionString);
            var converged = await WorkerRuns.WaitUntilSyncedAsync(stack.ConnectionString, Prefix, n, settings.WorkerRunTimeout, cancellationToken);
            var wall = clock.Elapsed.TotalSeconds;
            var cpu = split.Stop();
            var lockWaits = await locks.StopAsync();
            results.Faults = await WorkerRuns.SummarizeAsync(
                new WorkerRunSetup("1 worker, fault mix", 1, n, submitSeconds, "worker start", WorkerSettings, WorkerRuns.LiftedLimit),
                stack, before, startedAt, wall, converged, cpu, lockWaits, stack.Workers, cancellationToken);
        }
    }

    /// <summary>
    /// The emulator fires the first matching rule, so each rule's probability is conditional on the earlier ones not
    /// firing; these give each kind the same marginal rate.
    /// </summary>
    private static async Task AddFaultsAsync(LocalStack stack, double rate, CancellationToken cancellationToken)
    {
        const string records = "^/zones/[^/]+/dns_records";
        object[] rules =
        [
            new { pathPattern = records, kind = "ApplyThenFail500", probability = rate },
            new { pathPattern = records, kind = "ApplyThenDrop", probability = rate / (1 - rate) },
            new { pathPattern = records, kind = "RateLimit", retryAfterSeconds = 1, probability = rate / (1 - 2 * rate) },
        ];
        foreach (var rule in rules)
        {
            using var response = await stack.EmulatorClient.PostAsJsonAsync(new Uri(stack.EmulatorUrl, "__emulator/faults"), rule, cancellationToken);
            response.EnsureSuccessStatusCode();
        }
    }
}
