using Dapper;
using DnsSync.Benchmarks.Harness;
using DnsSync.Testing;
using MySqlConnector;

namespace DnsSync.Benchmarks.Scenarios;

/// <summary>
/// Scenario 1: records created through the api at a steady rate while one worker with default settings runs;
/// create → active per record from the row's own timestamps (created_at, last_synced_at), so polling by the
/// benchmark cannot blur the numbers. Run once per emulator latency.
/// </summary>
internal static class LatencyScenario
{
    private const int WarmupRecords = 5;

    public static async Task<List<LatencyResult>> RunAsync(BenchSettings settings, string logDirectory, CancellationToken cancellationToken)
    {
        // Worker settings stay the defaults, and so do the emulator's rate and batch limits (1,200 requests per 300 s is
        // room for the ~1 request per record at this arrival rate); it only needs room for the records (its Free-plan
        // quota is 200 per zone).
        await using var stack = await LocalStack.StartAsync(new LocalStackOptions
        {
            LogDirectory = Path.Combine(logDirectory, "latency"),
            EmulatorArgs = ["--record-quota", "1000000"],
        }, cancellationToken);
        var domainId = stack.Zones["example.com"].DomainId;
        // Warm-up, not measured: the processes' first requests pay for JIT and connection set-up (~1 s once).
        for (var i = 0; i < WarmupRecords; i++)
            await StackOps.CreateRecordAsync(stack.ApiClient, domainId, $"warm-{i}", StackOps.Address(9_000_000 + i), cancellationToken);
        await StackOps.WaitUntilActiveAsync(stack.ConnectionString, "warm-", WarmupRecords, TimeSpan.FromMinutes(1), cancellationToken);
        var results = new List<LatencyResult>();
        foreach (var latencyMs in settings.EmulatorLatenciesMs)
        {
            await StackOps.SetEmulatorLatencyAsync(stack, latencyMs, cancellationToken);
            var prefix = $"lat{latencyMs}-";
            var logBefore = (await StackOps.ProviderLogAsync(stack, cancellationToken)).Count;
            Console.WriteLine($"[latency] {settings.LatencyRecords} records at {settings.LatencyRatePerSecond}/s, emulator +{latencyMs} ms");
            var lateness = await SteadyRate.RunAsync(settings.LatencyRecords, settings.LatencyRatePerSecond,
                i => StackOps.CreateRecordAsync(stack.ApiClient, domainId, prefix + i, StackOps.Address(latencyMs * 100_000L + i), cancellationToken),
                TimeProvider.System, cancellationToken);
            await StackOps.WaitUntilActiveAsync(stack.ConnectionString, prefix, settings.LatencyRecords, TimeSpan.FromMinutes(5), cancellationToken);

            await using var connection = new MySqlConnection(stack.ConnectionString);
            var micros = await connection.QueryAsync<long>(new CommandDefinition("""
                SELECT TIMESTAMPDIFF(MICROSECOND, created_at, last_synced_at) FROM domain_dns_records WHERE name LIKE CONCAT(@Prefix, '%')
                """, new { Prefix = prefix }, cancellationToken: cancellationToken));
            var summary = Stats.Summarize(micros.Select(us => us / 1000.0));
            var requests = ProviderRequests.Count((await StackOps.ProviderLogAsync(stack, cancellationToken)).Skip(logBefore));
            Console.WriteLine($"[latency] +{latencyMs} ms: p50 {summary.P50:F0} ms, p95 {summary.P95:F0} ms, p99 {summary.P99:F0} ms");
            results.Add(new LatencyResult(latencyMs, settings.LatencyRecords, settings.LatencyRatePerSecond, summary,
                Math.Round(lateness.TotalMilliseconds, 1), new Dictionary<string, string?>())
            {
                ProviderRequests = requests.Total, RateLimited = requests.RateLimited,
            });
        }
        return results;
    }
}
