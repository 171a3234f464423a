using Dapper;
using DnsSync.Benchmarks.Harness;
using DnsSync.Testing;
using MySqlConnector;

namespace DnsSync.Benchmarks.Scenarios;

/// <summary>
/// Scenarios 2, 3 and 5 on one stack with 10 zones. First the api's throughput (no worker running, so the
/// reconciler's CPU does not count against the api on a small machine), then the backlog for convergence is
/// created through the api and one worker is started and timed. Peak RSS is read after each.
/// </summary>
internal static class ThroughputAndConvergence
{
    /// <summary>The same INSERT the api's create ends with, sent on its own (no lock, no domain or clash check).</summary>
    internal const string BaselineInsertSql = """
        INSERT INTO domain_dns_records
            (domain_id, type, name, value, ttl, proxied, status, desired_state, owner_type, owner_id, created_at, updated_at)
        VALUES (@DomainId, 'A', @Name, @Value, 300, 0, 'pending', 'present', 'external', 1, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
        """;

    public static readonly string[] EmulatorArgs = ["--rate-limit", "10000000", "--record-quota", "1000000"];

    public static readonly Dictionary<string, string?> ConvergenceWorkerSettings = new()
    {
        // The worker's own speed, unthrottled; scenario 6 (BulkCreateScenario) converges the same backlog under the real limit.
        ["Cloudflare__RequestsPerWindow"] = "1000000",
    };

    public const string WorkerRssKey = "worker, after convergence (2)";

    public static async Task RunAsync(BenchSettings settings, BenchResults results, string logDirectory, CancellationToken cancellationToken)
    {
        var zones = Enumerable.Range(1, settings.Zones - 1).Select(i => $"z{i}.example.net").ToList();
        await using var stack = await LocalStack.StartAsync(new LocalStackOptions
        {
            LogDirectory = Path.Combine(logDirectory, "convergence"),
            ExtraZones = zones,
            Workers = 0,
            EmulatorArgs = EmulatorArgs,
            WorkerEnvironment = ConvergenceWorkerSettings,
        }, cancellationToken);
        var domainIds = stack.Zones.Values.Select(z => z.DomainId).Order().ToArray();

        results.Throughput = await ThroughputAsync(settings, stack, domainIds, cancellationToken);
        results.Memory.PeakRssMiB["api, after throughput (3)"] = StackOps.MiB(stack.Api.PeakRssBytes());

        results.Convergence = await ConvergenceAsync(settings, stack, domainIds, cancellationToken);
        results.Memory.PeakRssMiB["api, after convergence (2)"] = StackOps.MiB(stack.Api.PeakRssBytes());
        results.Memory.PeakRssMiB[WorkerRssKey] = StackOps.MiB(stack.Workers[0].PeakRssBytes());
        results.Memory.PeakRssMiB["emulator, after convergence (2)"] = StackOps.MiB(stack.Emulator.PeakRssBytes());
    }

    private static async Task<ApiThroughputResult> ThroughputAsync(BenchSettings settings, LocalStack stack, long[] domainIds, CancellationToken cancellationToken)
    {
        var cpu = new Dictionary<string, IReadOnlyDictionary<string, double>>();
        var c = settings.Concurrency;

        // The baseline opens a pooled connection per insert, as the api does per request.
        await using var dataSource = new MySqlDataSourceBuilder(
            new MySqlConnectionStringBuilder(stack.ConnectionString) { MaximumPoolSize = (uint)Math.Max(c * 2, 100) }.ConnectionString).Build();
        Console.WriteLine($"[throughput] baseline INSERT, {c} connections");
        var split = CpuSplit.Start(StackOps.Pids(stack));
        var baseline = await ClosedLoop.RunAsync(c, settings.ThroughputWarmup, settings.ThroughputWindow, async (loop, seq, ct) =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            return await connection.ExecuteAsync(new CommandDefinition(BaselineInsertSql, new
            {
                DomainId = domainIds[loop % domainIds.Length], Name = $"tpb-{loop}-{seq}", Value = StackOps.Address(seq),
            }, cancellationToken: ct)) == 1;
        }, cancellationToken);
        cpu["baseline INSERT"] = split.Stop();

        // Diagnostic: the api's create batch itself, straight to the database, shows how much of a create is database work.
        await using var batchSource = new MySqlDataSourceBuilder(new MySqlConnectionStringBuilder(stack.ConnectionString)
        {
            MaximumPoolSize = (uint)Math.Max(c * 2, 100), AllowUserVariables = true,
        }.ConnectionString).Build();
        Console.WriteLine($"[throughput] the api's create batch, {c} connections");
        split = CpuSplit.Start(StackOps.Pids(stack));
        var createBatch = await ClosedLoop.RunAsync(c, settings.ThroughputWarmup, settings.ThroughputWindow,
            (loop, seq, ct) => SendCreateBatchAsync(batchSource, domainIds[loop % domainIds.Length], $"tpd-{loop}-{seq}", seq, locked: true, ct), cancellationToken);
        cpu["create batch direct"] = split.Stop();

        Console.WriteLine($"[throughput] the api's create batch without its named lock, {c} connections");
        split = CpuSplit.Start(StackOps.Pids(stack));
        var unlockedBatch = await ClosedLoop.RunAsync(c, settings.ThroughputWarmup, settings.ThroughputWindow,
            (loop, seq, ct) => SendCreateBatchAsync(batchSource, domainIds[loop % domainIds.Length], $"tpu-{loop}-{seq}", seq, locked: false, ct), cancellationToken);
        cpu["create batch without lock"] = split.Stop();

        Console.WriteLine($"[throughput] api creates, {c} loops");
        split = CpuSplit.Start(StackOps.Pids(stack));
        var creates = await ClosedLoop.RunAsync(c, settings.ThroughputWarmup, settings.ThroughputWindow, async (loop, seq, ct) =>
        {
            await StackOps.CreateRecordAsync(stack.ApiClient, domainIds[loop % domainIds.Length], $"tpa-{loop}-{seq}", StackOps.Address(seq), ct);
            return true;
        }, cancellationToken);
        cpu["api creates"] = split.Stop();

        long rows;
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
            rows = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM domain_dns_records", cancellationToken: cancellationToken));

        Console.WriteLine($"[throughput] api lists, {c} loops");
        split = CpuSplit.Start(StackOps.Pids(stack));
        var lists = await ClosedLoop.RunAsync(c, settings.ThroughputWarmup, settings.ThroughputWindow, async (loop, seq, ct) =>
        {
            using var response = await stack.ApiClient.GetAsync($"api/v1/dns/records?domainId={domainIds[(loop + seq) % domainIds.Length]}&page=1&pageSize=20", ct);
            await response.Content.ReadAsByteArrayAsync(ct);
            return response.IsSuccessStatusCode;
        }, cancellationToken);
        cpu["api lists"] = split.Stop();

        // These rows were never claimed (no worker ran), so nothing exists remotely: they can simply go.
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
            await connection.ExecuteAsync(new CommandDefinition("DELETE FROM domain_dns_records WHERE name LIKE 'tp%'", cancellationToken: cancellationToken, commandTimeout: 600));

        var result = new ApiThroughputResult(c, settings.ThroughputWarmup.TotalSeconds, settings.ThroughputWindow.TotalSeconds,
            baseline, creates, lists, Stats.Ratio(creates.PerSecond, baseline.PerSecond), rows, cpu) { CreateBatchDirect = createBatch, CreateBatchWithoutLock = unlockedBatch };
        var firstError = baseline.FirstError ?? creates.FirstError ?? lists.FirstError;
        Console.WriteLine($"[throughput] baseline {baseline.PerSecond:F0}/s, create batch direct {createBatch.PerSecond:F0}/s, creates {creates.PerSecond:F0}/s ({result.CreateVsBaseline:F2}×), lists {lists.PerSecond:F0}/s"
                          + (firstError is null ? "" : $"; first error: {firstError}"));
        return result;
    }

    private static async Task<ConvergenceResult> ConvergenceAsync(BenchSettings settings, LocalStack stack, long[] domainIds, CancellationToken cancellationToken)
    {
        var n = settings.ConvergenceRecords;
        Console.WriteLine($"[convergence] creating {n} records in {domainIds.Length} zones through the api");
        var createClock = System.Diagnostics.Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, n), new ParallelOptions { MaxDegreeOfParallelism = settings.Concurrency, CancellationToken = cancellationToken },
            async (i, ct) => await StackOps.CreateRecordAsync(stack.ApiClient, domainIds[i % domainIds.Length], $"cv-{i}", StackOps.Address(i), ct));
        var createSeconds = createClock.Elapsed.TotalSeconds;
        var before = (await StackOps.ProviderLogAsync(stack, cancellationToken)).Count;

        Console.WriteLine("[convergence] starting the worker");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        stack.StartWorker();
        var split = CpuSplit.Start(StackOps.Pids(stack));
        await StackOps.WaitUntilActiveAsync(stack.ConnectionString, "cv-", n, TimeSpan.FromMinutes(15), cancellationToken);
        var wall = clock.Elapsed.TotalSeconds;
        var cpu = split.Stop();

        var log = (await StackOps.ProviderLogAsync(stack, cancellationToken)).Skip(before).ToList();
        var count = ProviderRequests.Count(log);
        var perRecord = (double)count.Total / n;
        Console.WriteLine($"[convergence] {n} active in {wall:F1} s; {count.Total} provider requests ({perRecord:F3}/record)");
        return new ConvergenceResult(n, domainIds.Length, Math.Round(createSeconds, 2), Math.Round(n / createSeconds, 1), Math.Round(wall, 2),
            Math.Round(n / wall, 1), Math.Round(count.Span.TotalSeconds, 2), count.Total, count.ByKind, count.RateLimited, perRecord,
            perRecord / GoSystem.RequestsPerCreatedRecord, cpu, ConvergenceWorkerSettings, EmulatorArgs);
    }

    /// <summary>One create batch exactly as the api sends it (<c>RecordQueries.CreateSql</c>); without the lock as for TXT.</summary>
    private static async Task<bool> SendCreateBatchAsync(MySqlDataSource source, long domainId, string name, long seq, bool locked, CancellationToken ct)
    {
        await using var connection = await source.OpenConnectionAsync(ct);
        await using var grid = await connection.QueryMultipleAsync(new CommandDefinition(Api.Records.RecordQueries.CreateSql, new
        {
            DomainId = domainId, Type = "A", Name = name, Value = StackOps.Address(seq), Ttl = 300, Proxied = false,
            OwnerType = "external", OwnerId = 1L, LockName = locked ? Api.Records.RecordQueries.LockName(domainId, name) : null,
        }, cancellationToken: ct));
        return (await grid.ReadSingleAsync<dynamic>()).Inserted == 1L;
    }
}

/// <summary>The Go system this product replaces (go_cmdb T2-04): what its numbers were.</summary>
internal static class GoSystem
{
    /// <summary>A lookup (GET by name) then a POST for every record it created.</summary>
    public const double RequestsPerCreatedRecord = 2;

    /// <summary>It polled every 40 s.</summary>
    public const double PollIntervalSeconds = 40;
}
