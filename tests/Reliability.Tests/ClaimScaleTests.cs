using System.Diagnostics;
using Dapper;
using DnsSync.Reliability.Tests.Support;
using DnsSync.Testing;
using DnsSync.Worker;
using DnsSync.Worker.Claiming;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace DnsSync.Reliability.Tests;

/// <summary>Scenario 7: with 1,000,000 rows, the worker's own claim queries are short range scans (ix_domain_dns_records_due for the zones, ix_domain_dns_records_zone_due for a zone's rows).</summary>
public sealed class ClaimScaleTests
{
    private const int Rows = 1_000_000;
    private const int Chunks = 10;
    private const int Batch = 100;

    [Test]
    public async Task Claim_query_uses_the_due_index_and_reads_about_one_batch_of_a_million_rows()
    {
        var connectionString = await TestDatabase.CreateAsync("scale");
        try
        {
            await using var connection = new MySqlConnection(connectionString);
            await connection.OpenAsync();
            var insert = Stopwatch.StartNew();
            await connection.ExecuteAsync("""
                CREATE TEMPORARY TABLE digits (d INT NOT NULL PRIMARY KEY);
                INSERT INTO digits VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9);
                INSERT INTO domains (domain, status) VALUES ('scale.test', 'active');
                """);
            var domainId = await connection.ExecuteScalarAsync<long>("SELECT id FROM domains WHERE domain = 'scale.test'");
            // Per 1,000 rows: 3 due (pending; error whose retry time passed; running with an expired lease) and
            // 997 not due (active; error out of retries; error retrying later; running with a live lease).
            for (var chunk = 0; chunk < Chunks; chunk++)
            {
                await connection.ExecuteAsync(new CommandDefinition("""
                    INSERT INTO domain_dns_records
                        (domain_id, type, name, value, ttl, status, desired_state, provider_record_id, retry_count,
                         next_retry_at, owner_type, owner_id, attempt_count, locked_by, locked_until, last_synced_at)
                    SELECT @DomainId, 'A', CONCAT('h', n), CONCAT('10.', n DIV 65536 % 256, '.', n DIV 256 % 256, '.', n % 256), 300,
                           ELT(1 + LEAST(n % 1000, 6), 'pending', 'error', 'running', 'error', 'error', 'running', 'active'),
                           'present',
                           IF(n % 1000 = 0, NULL, LPAD(HEX(n), 32, '0')),
                           CASE n % 1000 WHEN 1 THEN 1 WHEN 3 THEN 10 WHEN 4 THEN 2 ELSE 0 END,
                           CASE n % 1000 WHEN 1 THEN UTC_TIMESTAMP(6) - INTERVAL 1 MINUTE WHEN 4 THEN UTC_TIMESTAMP(6) + INTERVAL 1 HOUR END,
                           'external', n, 1,
                           IF(n % 1000 IN (2, 5), 'some-worker', NULL),
                           CASE n % 1000 WHEN 2 THEN UTC_TIMESTAMP(6) - INTERVAL 1 MINUTE WHEN 5 THEN UTC_TIMESTAMP(6) + INTERVAL 1 HOUR END,
                           IF(n % 1000 >= 6, UTC_TIMESTAMP(6), NULL)
                    FROM (SELECT @Chunk * 100000 + a.d * 10000 + b.d * 1000 + c.d * 100 + e.d * 10 + f.d AS n
                          FROM digits a, digits b, digits c, digits e, digits f) numbers
                    """, new { DomainId = domainId, Chunk = chunk }, commandTimeout: 120));
            }
            var insertSeconds = insert.Elapsed.TotalSeconds;
            await connection.ExecuteAsync("ANALYZE TABLE domain_dns_records");
            var total = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM domain_dns_records");
            var due = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM domain_dns_records WHERE due_at <= UTC_TIMESTAMP(6)");

            var plan = (await connection.QueryAsync("EXPLAIN " + RecordClaimer.SelectDueSql, new { Domain = domainId, Batch }))
                .Cast<IDictionary<string, object?>>().ToList();
            var zonesPlan = (await connection.QueryAsync("EXPLAIN " + RecordClaimer.SelectDueZonesSql, new { Scan = Batch, Zones = 8 }))
                .Cast<IDictionary<string, object?>>().ToList();
            var zonesKeys = zonesPlan.Select(p => p["key"] as string).Where(k => k is not null).ToList();
            var key = plan[0]["key"] as string;
            var estimated = Convert.ToInt64(plan[0]["rows"], System.Globalization.CultureInfo.InvariantCulture);
            var extra = plan[0]["Extra"] as string ?? "";

            // Rows the storage engine actually read for one claim, from the session's handler counters (index reads).
            long indexReads;
            await using (var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted))
            {
                var before = await IndexReadsAsync(connection, transaction);
                var claimed = (await RecordClaimer.SelectDueAsync(connection, transaction, Batch, zones: 8, CancellationToken.None)).Count;
                indexReads = await IndexReadsAsync(connection, transaction) - before;
                Assert.That(claimed, Is.EqualTo(Batch));
                await transaction.RollbackAsync();
            }

            // The worker's whole claim (locking read, lease update, read of the claimed rows), timed three times.
            await using var dataSource = new MySqlDataSource(connectionString);
            var claimer = new RecordClaimer(dataSource, Options.Create(new DnsWorkerOptions { BatchSize = Batch, LeaseSec = 60, InstanceId = "scale-test" }),
                Options.Create(new CloudflareOptions()), new PartialBatchPacer(Options.Create(new CloudflareOptions()), TimeProvider.System), TimeProvider.System);
            var claimMs = new List<double>();
            for (var i = 0; i < 3; i++)
            {
                var watch = Stopwatch.StartNew();
                var rows = await claimer.ClaimAsync(CancellationToken.None);
                claimMs.Add(Math.Round(watch.Elapsed.TotalMilliseconds, 1));
                Assert.That(rows, Has.Count.EqualTo(Batch));
            }

            await ScenarioResults.WriteAsync("7-claim-scale", connectionString, new Dictionary<string, object?>
            {
                ["rows"] = total,
                ["dueRows"] = due,
                ["batch"] = Batch,
                ["secondsToInsert"] = Math.Round(insertSeconds, 1),
                ["explainKey"] = key,
                ["explainType"] = plan[0]["type"],
                ["explainRowsEstimate"] = estimated,
                ["explainExtra"] = extra,
                ["indexReadsForOneClaimQuery"] = indexReads,
                ["claimMilliseconds"] = claimMs,
            });

            Assert.Multiple(() =>
            {
                Assert.That(total, Is.EqualTo(Rows));
                Assert.That(key, Is.EqualTo("ix_domain_dns_records_zone_due"), $"plan: {string.Join(", ", plan[0].Select(p => $"{p.Key}={p.Value}"))}");
                Assert.That(zonesKeys, Is.EqualTo(new[] { "ix_domain_dns_records_due" }), $"the zones of the oldest due rows come from one range scan of the due index; plan: {string.Join(" | ", zonesPlan.Select(r => string.Join(", ", r.Select(p => $"{p.Key}={p.Value}"))))}");
                Assert.That(extra, Does.Not.Contain("filesort"), "rows come in index order: no sort of the due rows");
                Assert.That(estimated, Is.LessThan(Rows / 100), "the optimiser expects to touch the due range only");
                Assert.That(indexReads, Is.LessThanOrEqualTo(3 * Batch + 10), "one claim reads about two batches of index entries (the zone scan and the zone's rows)");
            });
        }
        finally
        {
            MySqlConnection.ClearAllPools();
            await TestDatabase.DropAsync(connectionString);
        }
    }

    private static async Task<long> IndexReadsAsync(MySqlConnection connection, MySqlTransaction transaction)
    {
        var status = await connection.QueryAsync<(string Name, string Value)>(
            "SHOW SESSION STATUS WHERE Variable_name IN ('Handler_read_first', 'Handler_read_key', 'Handler_read_next', 'Handler_read_prev')",
            transaction: transaction);
        return status.Sum(s => long.Parse(s.Value, System.Globalization.CultureInfo.InvariantCulture));
    }
}
