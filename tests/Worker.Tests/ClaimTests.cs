using Dapper;
using DnsSync.Worker.Claiming;
using Microsoft.Extensions.DependencyInjection;
using MySqlConnector;

namespace DnsSync.Worker.Tests;

/// <summary>The claim query on real MariaDB: index use, order, exclusions, and exclusivity between instances.</summary>
public sealed class ClaimTests : HarnessTest
{
    [Test]
    public async Task Claim_query_uses_the_due_index()
    {
        for (var i = 0; i < 50; i++) await h.InsertAsync("A", $"h{i}", "192.0.2.1", status: i % 2 == 0 ? "active" : "pending");
        await h.ExecuteAsync("ANALYZE TABLE domain_dns_records");

        await using var connection = new MySqlConnection(h.ConnectionString);
        var plan = (await connection.QueryAsync("EXPLAIN " + RecordClaimer.SelectDueSql, new { Domain = h.DomainId, Batch = 10 }))
            .Cast<IDictionary<string, object>>().Single();
        var zones = (await connection.QueryAsync("EXPLAIN " + RecordClaimer.SelectDueZonesSql, new { Scan = 10, Zones = 8 }))
            .Cast<IDictionary<string, object>>().ToList();

        Assert.Multiple(() =>
        {
            Assert.That(plan["key"], Is.EqualTo("ix_domain_dns_records_zone_due"));
            Assert.That(plan["Extra"]?.ToString(), Does.Not.Contain("filesort"));
            Assert.That(zones.Select(z => z["key"]).OfType<string>(), Is.EqualTo(new[] { "ix_domain_dns_records_due" }), string.Join(" | ", zones.Select(z => string.Join(", ", z.Select(p => $"{p.Key}={p.Value}")))));
        });
    }

    [Test]
    public async Task Claim_takes_the_due_rows_of_the_oldest_rows_zone_together()
    {
        await h.ExecuteAsync("INSERT INTO domains (domain, status) VALUES ('second.test', 'active')");
        var second = (await h.QueryAsync<long>("SELECT id FROM domains WHERE domain = 'second.test'")).Single();
        // Due order a1, b1, a2, b2, a3: zone a owns the oldest row.
        var a1 = await h.InsertAsync("A", "a1", "192.0.2.1");
        var b1 = await h.InsertAsync("A", "b1", "192.0.2.1");
        var a2 = await h.InsertAsync("A", "a2", "192.0.2.1");
        var b2 = await h.InsertAsync("A", "b2", "192.0.2.1");
        var a3 = await h.InsertAsync("A", "a3", "192.0.2.1");
        await h.ExecuteAsync("UPDATE domain_dns_records SET domain_id = @second WHERE id IN (@b1, @b2)", new { second, b1, b2 });
        long[] order = [a1, b1, a2, b2, a3];
        for (var i = 0; i < order.Length; i++)
            await h.ExecuteAsync("UPDATE domain_dns_records SET updated_at = UTC_TIMESTAMP(6) - INTERVAL @minutes MINUTE WHERE id = @id",
                new { id = order[i], minutes = 10 - i });
        var claimer = h.Worker(configure: s => s["DnsWorker:BatchSize"] = "3").GetRequiredService<RecordClaimer>();

        var first = await claimer.ClaimAsync(CancellationToken.None);
        var next = await claimer.ClaimAsync(CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(first.Select(r => r.Id), Is.EqualTo(new[] { a1, a2, a3 }), "the oldest row's zone first, all of its due rows the batch holds");
            Assert.That(next.Select(r => r.Id), Is.EqualTo(new[] { b1, b2 }));
        });
    }

    [Test]
    public async Task Claim_spans_at_most_MaxParallelZones_zones()
    {
        await h.ExecuteAsync("INSERT INTO domains (domain, status) VALUES ('second.test', 'active')");
        var second = (await h.QueryAsync<long>("SELECT id FROM domains WHERE domain = 'second.test'")).Single();
        var a = await h.InsertAsync("A", "a", "192.0.2.1");
        var b = await h.InsertAsync("A", "b", "192.0.2.1");
        await h.ExecuteAsync("UPDATE domain_dns_records SET domain_id = @second, updated_at = UTC_TIMESTAMP(6) - INTERVAL 1 MINUTE WHERE id = @b", new { second, b });
        var one = h.Worker(configure: s => s["DnsWorker:MaxParallelZones"] = "1").GetRequiredService<RecordClaimer>();

        var first = await one.ClaimAsync(CancellationToken.None);
        var next = await one.ClaimAsync(CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(first.Select(r => r.Id), Is.EqualTo(new[] { b }));
            Assert.That(next.Select(r => r.Id), Is.EqualTo(new[] { a }));
        });
    }

    [Test]
    public async Task A_zone_whose_due_rows_do_not_fill_a_batch_is_left_when_the_pacer_says_wait_and_a_full_one_never_asks()
    {
        await h.ExecuteAsync("INSERT INTO domains (domain, status) VALUES ('second.test', 'active')");
        var second = (await h.QueryAsync<long>("SELECT id FROM domains WHERE domain = 'second.test'")).Single();
        var key = (await h.QueryAsync<long>("SELECT api_key_id FROM domain_dns_providers WHERE domain_id = @DomainId", new { h.DomainId })).Single();
        await h.ExecuteAsync("""
            INSERT INTO domain_dns_providers (domain_id, provider, provider_zone_id, api_key_id, status)
            VALUES (@second, 'cloudflare', 'zone-two', @key, 'active')
            """, new { second, key });
        // The main zone: 2 due rows (partial for a batch of 3), the oldest; the second zone: 3 due rows (full).
        var partial = new[] { await h.InsertAsync("A", "p1", "192.0.2.1"), await h.InsertAsync("A", "p2", "192.0.2.1") };
        var full = new List<long>();
        for (var i = 0; i < 3; i++) full.Add(await h.InsertAsync("A", $"f{i}", "192.0.2.1"));
        await h.ExecuteAsync("UPDATE domain_dns_records SET domain_id = @second WHERE id IN @full", new { second, full });
        await h.ExecuteAsync("UPDATE domain_dns_records SET updated_at = UTC_TIMESTAMP(6) - INTERVAL 1 MINUTE WHERE id IN @partial", new { partial });

        var asked = new List<long>();
        async Task<List<long>> TakeAsync(Func<long, bool> pacer)
        {
            await using var connection = new MySqlConnection(h.ConnectionString);
            await connection.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted);
            var due = await RecordClaimer.SelectDueAsync(connection, transaction, batch: 6, zones: 8, CancellationToken.None, pacer, fullBatch: 3);
            await transaction.RollbackAsync();
            return due.Select(d => d.Id).ToList();
        }
        var held = await TakeAsync(k => { asked.Add(k); return false; });
        var let = await TakeAsync(_ => true);

        Assert.Multiple(() =>
        {
            Assert.That(held, Is.EqualTo(full), "the partial zone waits; the full batch goes regardless");
            Assert.That(asked, Is.EqualTo(new[] { key }), "asked once, for the partial zone's key");
            Assert.That(let, Is.EqualTo(partial.Concat(full)), "with a token the partial zone goes first, being the oldest");
        });
    }

    [Test]
    public async Task Claim_takes_the_oldest_due_rows_first_up_to_the_batch_size()
    {
        var ids = new List<long>();
        for (var i = 0; i < 5; i++) ids.Add(await h.InsertAsync("A", $"h{i}", "192.0.2.1"));
        // Make the last row the oldest due, and one row not due yet.
        await h.ExecuteAsync("UPDATE domain_dns_records SET updated_at = UTC_TIMESTAMP(6) - INTERVAL 1 HOUR WHERE id = @id", new { id = ids[4] });
        await h.ExecuteAsync("UPDATE domain_dns_records SET next_retry_at = UTC_TIMESTAMP(6) + INTERVAL 1 HOUR WHERE id = @id", new { id = ids[0] });
        var claimer = h.Worker(configure: s => s["DnsWorker:BatchSize"] = "2").GetRequiredService<RecordClaimer>();

        var first = await claimer.ClaimAsync(CancellationToken.None);
        var second = await claimer.ClaimAsync(CancellationToken.None);
        var third = await claimer.ClaimAsync(CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(first.Select(r => r.Id), Is.EqualTo(new[] { ids[4], ids[1] }));
            Assert.That(second.Select(r => r.Id), Is.EqualTo(new[] { ids[2], ids[3] }));
            Assert.That(third, Is.Empty);
            Assert.That(first[0].PreviousStatus, Is.EqualTo("pending"));
            Assert.That(first[0].PreviousAttemptCount, Is.Zero);
            var claimed = await h.ExistingRowAsync(ids[4]);
            Assert.That(claimed.Status, Is.EqualTo("running"));
            Assert.That(claimed.LockedBy, Is.EqualTo("test-a"));
            Assert.That(claimed.AttemptCount, Is.EqualTo(1));
            Assert.That(claimed.LockedUntil, Is.GreaterThan(DateTime.UtcNow.AddSeconds(100)));
        });
    }

    [Test]
    public async Task Concurrent_claims_of_two_instances_never_share_a_row()
    {
        for (var i = 0; i < 200; i++) await h.InsertAsync("A", $"h{i}", "192.0.2.1");
        var a = h.Worker("instance-a", s => s["DnsWorker:BatchSize"] = "7").GetRequiredService<RecordClaimer>();
        var b = h.Worker("instance-b", s => s["DnsWorker:BatchSize"] = "7").GetRequiredService<RecordClaimer>();

        async Task<List<long>> DrainAsync(RecordClaimer claimer)
        {
            var mine = new List<long>();
            while (await claimer.ClaimAsync(CancellationToken.None) is { Count: > 0 } batch) mine.AddRange(batch.Select(r => r.Id));
            return mine;
        }
        var results = await Task.WhenAll(Task.Run(() => DrainAsync(a)), Task.Run(() => DrainAsync(b)));

        Assert.Multiple(() =>
        {
            Assert.That(results[0].Intersect(results[1]), Is.Empty);
            Assert.That(results[0].Count + results[1].Count, Is.EqualTo(200));
            Assert.That(results[0], Is.Not.Empty);
            Assert.That(results[1], Is.Not.Empty);
        });
    }
}
