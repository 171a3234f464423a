using System.Data;
using System.Diagnostics;
using Dapper;
using DnsSync.Benchmarks.Harness;
using DnsSync.Testing;
using DnsSync.Worker.Claiming;
using MySqlConnector;

namespace DnsSync.Benchmarks.Scenarios;

/// <summary>
/// Scenario 4: the worker's claim transaction (its own SQL, <see cref="RecordClaimer.SelectDueSql"/> and
/// <see cref="RecordClaimer.MarkRunningSql"/>) timed on a small and a large table that hold the same number of
/// due rows, the rest active. After each timed claim the rows are put back to pending (untimed) with their
/// updated_at unchanged, so every iteration sees the same due set.
/// </summary>
internal static class ClaimCostScenario
{
    private const int ChunkRows = 100_000;

    public static async Task<ClaimCostResult> RunAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        var smallDb = await TestDatabase.CreateAsync("claim_small", cancellationToken);
        var largeDb = await TestDatabase.CreateAsync("claim_large", cancellationToken);
        try
        {
            await using var small = await OpenFilledAsync(smallDb, settings.ClaimSmallRows, settings.ClaimDueRows, cancellationToken);
            await using var large = await OpenFilledAsync(largeDb, settings.ClaimLargeRows, settings.ClaimDueRows, cancellationToken);
            var plan = await PlanAsync(large, settings.ClaimBatch, cancellationToken);

            // Interleaved, so background work of the server (purge, flushing) falls on both tables alike.
            var samples = new[] { (Connection: small, Times: new List<double>(), Reads: new List<double>()), (Connection: large, Times: new List<double>(), Reads: new List<double>()) };
            for (var i = 0; i < settings.ClaimIterations + Warmup; i++)
            {
                foreach (var (connection, times, reads) in samples)
                {
                    var (ms, indexReads) = await MeasureOnceAsync(connection, settings.ClaimBatch, cancellationToken);
                    if (i < Warmup) continue;
                    times.Add(ms);
                    reads.Add(indexReads);
                }
            }
            var smallSample = new ClaimSample(settings.ClaimSmallRows, Stats.Summarize(samples[0].Times), samples[0].Reads.Average());
            var largeSample = new ClaimSample(settings.ClaimLargeRows, Stats.Summarize(samples[1].Times), samples[1].Reads.Average());
            var result = new ClaimCostResult(settings.ClaimBatch, settings.ClaimDueRows, settings.ClaimIterations, smallSample, largeSample,
                Stats.Ratio(largeSample.Ms.P50, smallSample.Ms.P50), Stats.Ratio(largeSample.Ms.Mean, smallSample.Ms.Mean), plan);
            Console.WriteLine($"[claim] {smallSample.Rows:N0} rows p50 {smallSample.Ms.P50:F2} ms; {largeSample.Rows:N0} rows p50 {largeSample.Ms.P50:F2} ms; ratio {result.P50Ratio:F2}");
            return result;
        }
        finally
        {
            await TestDatabase.DropAsync(smallDb);
            await TestDatabase.DropAsync(largeDb);
        }
    }

    private const int Warmup = 20;

    private static async Task<MySqlConnection> OpenFilledAsync(string connectionString, long rows, int due, CancellationToken cancellationToken)
    {
        Console.WriteLine($"[claim] filling a table with {rows:N0} rows ({due:N0} due)");
        var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await FillAsync(connection, rows, due, cancellationToken);
        return connection;
    }

    /// <summary>One timed claim; index reads it made (net of the SHOW STATUS calls around it).</summary>
    private static async Task<(double Ms, double IndexReads)> MeasureOnceAsync(MySqlConnection connection, int batch, CancellationToken cancellationToken)
    {
        var before = await IndexReadsAsync(connection, cancellationToken);
        var overhead = await IndexReadsAsync(connection, cancellationToken) - before;
        var watch = Stopwatch.StartNew();
        var ids = await ClaimOnceAsync(connection, batch, cancellationToken);
        var ms = watch.Elapsed.TotalMilliseconds;
        var reads = await IndexReadsAsync(connection, cancellationToken) - before - 2 * overhead;
        if (ids.Length != batch) throw new InvalidOperationException($"claimed {ids.Length}, expected {batch}");
        await ResetAsync(connection, ids, cancellationToken);
        return (ms, reads);
    }

    /// <summary>One claim as the worker makes it.</summary>
    private static async Task<long[]> ClaimOnceAsync(MySqlConnection connection, int batch, CancellationToken cancellationToken)
    {
        long[] ids;
        await using (var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken))
        {
            ids = (await RecordClaimer.SelectDueAsync(connection, transaction, batch, zones: 8, cancellationToken)).Select(r => r.Id).ToArray();
            await connection.ExecuteAsync(new CommandDefinition(
                RecordClaimer.MarkRunningSql, new { Instance = "bench", LeaseSec = 120, Ids = ids }, transaction, cancellationToken: cancellationToken));
            await transaction.CommitAsync(cancellationToken);
        }
        return ids;
    }

    /// <summary>Untimed: the claimed rows become due again exactly as before (updated_at untouched).</summary>
    private static async Task ResetAsync(MySqlConnection connection, long[] ids, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE domain_dns_records SET status = 'pending', locked_by = NULL, locked_until = NULL, attempt_count = 0 WHERE id IN @Ids
            """, new { Ids = ids }, cancellationToken: cancellationToken));

    /// <summary>Index reads of this session so far (key lookups and index scans; SHOW STATUS itself only adds table scans of its own).</summary>
    private static async Task<long> IndexReadsAsync(MySqlConnection connection, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<(string Name, string Value)>(new CommandDefinition(
            "SHOW SESSION STATUS LIKE 'Handler_read%'", cancellationToken: cancellationToken));
        return rows.Where(r => r.Name is "Handler_read_key" or "Handler_read_next" or "Handler_read_prev" or "Handler_read_first" or "Handler_read_last")
            .Sum(r => long.Parse(r.Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    private static async Task<string> PlanAsync(MySqlConnection connection, int batch, CancellationToken cancellationToken)
    {
        var domain = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT MIN(domain_id) FROM domain_dns_records", cancellationToken: cancellationToken));
        var row = (IDictionary<string, object?>)await connection.QueryFirstAsync(new CommandDefinition(
            "EXPLAIN " + RecordClaimer.SelectDueSql, new { Domain = domain, Batch = batch }, cancellationToken: cancellationToken));
        return $"type={row["type"]}, key={row["key"]}, rows={row["rows"]}, Extra={row["Extra"]}";
    }

    /// <summary>
    /// <paramref name="rows"/> active rows in one domain, then <paramref name="due"/> of them, spread over the table,
    /// made pending with an updated_at in the past. Generated on the server with a digits cross join (MySQL and MariaDB).
    /// </summary>
    internal static async Task FillAsync(MySqlConnection connection, long rows, int due, CancellationToken cancellationToken)
    {
        async Task Run(string sql, object? parameters = null) =>
            await connection.ExecuteAsync(new CommandDefinition(sql, parameters, commandTimeout: 900, cancellationToken: cancellationToken));

        await Run("INSERT INTO domains (domain, status, created_at, updated_at) VALUES ('claim.example', 'active', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))");
        await Run("CREATE TABLE bench_digits (d INT NOT NULL PRIMARY KEY)");
        await Run("INSERT INTO bench_digits (d) VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)");
        for (long offset = 0; offset < rows; offset += ChunkRows)
        {
            await Run("""
                INSERT INTO domain_dns_records
                    (domain_id, type, name, value, ttl, proxied, status, desired_state, provider_record_id, owner_type, owner_id,
                     version, last_synced_at, created_at, updated_at)
                SELECT (SELECT id FROM domains WHERE domain = 'claim.example'), 'A', CONCAT('r', @Offset + n), '192.0.2.1', 300, 0,
                       'active', 'present', MD5(@Offset + n), 'external', 0, 1,
                       UTC_TIMESTAMP(6) - INTERVAL 1 HOUR, UTC_TIMESTAMP(6) - INTERVAL 1 DAY, UTC_TIMESTAMP(6) - INTERVAL 1 HOUR
                FROM (SELECT a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d AS n
                      FROM bench_digits a, bench_digits b, bench_digits c, bench_digits e, bench_digits f) numbers
                WHERE n < @Count
                """, new { Offset = offset, Count = Math.Min(ChunkRows, rows - offset) });
        }
        await Run("""
            UPDATE domain_dns_records SET status = 'pending', provider_record_id = NULL, last_synced_at = NULL
            WHERE id % @Step = 0 LIMIT @Due
            """, new { Step = Math.Max(1, rows / due), Due = due });
        await Run("DROP TABLE bench_digits");
        await Run("ANALYZE TABLE domain_dns_records");
    }
}
