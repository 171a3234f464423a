using System.Net;
using System.Text.Json;
using Dapper;

namespace DnsSync.Api.Tests;

/// <summary>POST /dns/records/bulk-create: up to 1,000 records in one transaction, all or nothing, the rules of single creates.</summary>
public sealed class BulkCreateTests : ApiTestBase
{
    private const string Route = "/api/v1/dns/records/bulk-create";

    private static object Item(long domainId, string type, string name, string value, long ownerId = 1, string ownerType = "external", int? ttl = null) =>
        new { domainId, type, name, value, ttl, proxied = (bool?)null, ownerType, ownerId };

    [Test]
    public async Task A_thousand_records_are_created_in_request_order()
    {
        var (domainId, zone) = await SeedZoneAsync();
        var items = Enumerable.Range(0, 1000).Select(i => Item(domainId, i % 2 == 0 ? "A" : "TXT", $"host-{i}", i % 2 == 0 ? $"192.0.2.{i % 250 + 1}" : $"t{i}")).ToArray();
        var reply = (await PostAsync(Route, new { records = items })).AssertOk().Data;

        Assert.That(reply.GetProperty("created").GetInt32(), Is.EqualTo(1000));
        Assert.That(reply.GetProperty("existing").GetInt32(), Is.Zero);
        var records = reply.GetProperty("records").EnumerateArray().ToList();
        Assert.That(records.Select(r => r.GetProperty("name").GetString()), Is.EqualTo(Enumerable.Range(0, 1000).Select(i => $"host-{i}")));
        Assert.That(records[2].GetProperty("fqdn").GetString(), Is.EqualTo($"host-2.{zone}"));
        Assert.That(records.Select(r => r.GetProperty("status").GetString()), Is.All.EqualTo("pending"));
        Assert.That(records.Select(r => r.GetProperty("version").GetInt64()), Is.All.EqualTo(1));
        Assert.That(await CountAsync(domainId), Is.EqualTo(1000));
    }

    [Test]
    public async Task Every_invalid_item_is_listed_by_its_index_and_nothing_is_written()
    {
        var (domainId, _) = await SeedZoneAsync();
        var before = await RowCountsAsync();
        var reply = (await PostAsync(Route, new
        {
            records = new object?[]
            {
                Item(domainId, "A", "ok", "192.0.2.1"),
                Item(domainId, "A", "bad", "300.1.1.1"),
                Item(domainId, "MX", "x", "y"),
                null,
                Item(987_654, "A", "www", "192.0.2.1"),
                Item(domainId, "TXT", "t", "v", ttl: 5),
            },
        })).AssertError(HttpStatusCode.BadRequest);
        Assert.That(reply.FieldErrors.Keys, Is.EquivalentTo(new[] { "records[1].value", "records[2].type", "records[3]", "records[4].domainId", "records[5].ttl" }));
        Assert.That(reply.FieldErrors["records[4].domainId"], Does.Contain("domain 987654 does not exist"));
        Assert.That(reply.FieldErrors["records[1].value"], Does.StartWith("records[1].value '300.1.1.1' is not an IPv4 address"));
        Assert.That(await RowCountsAsync(), Is.EqualTo(before));
    }

    [TestCase(0)]
    [TestCase(1001)]
    public async Task Zero_or_more_than_a_thousand_records_are_400(int count)
    {
        var (domainId, _) = await SeedZoneAsync();
        var before = await RowCountsAsync();
        var items = Enumerable.Range(0, count).Select(i => Item(domainId, "TXT", $"n{i}", "v")).ToArray();
        (await PostAsync(Route, new { records = items })).AssertInvalid("records", "1 to 1000 records");
        (await PostAsync(Route, new { })).AssertInvalid("records", "1 to 1000 records");
        Assert.That(await RowCountsAsync(), Is.EqualTo(before));
    }

    [Test]
    public async Task Repeating_a_bulk_create_returns_the_same_records_and_writes_nothing_new()
    {
        var (domainId, _) = await SeedZoneAsync();
        var single = (await CreateRecordAsync(domainId, "A", "www", "192.0.2.1", ownerId: 4)).AssertOk().Data.GetProperty("id").GetInt64();
        var items = new[] { Item(domainId, "A", "www", "192.0.2.1", ownerId: 4), Item(domainId, "TXT", "t", "v", ownerId: 4), Item(domainId, "TXT", "t", "v", ownerId: 4) };
        var first = (await PostAsync(Route, new { records = items })).AssertOk().Data;
        Assert.That(first.GetProperty("created").GetInt32(), Is.EqualTo(1), "the A existed; the TXT twice in the request is one row");
        Assert.That(first.GetProperty("existing").GetInt32(), Is.EqualTo(1));
        var ids = Ids(first);
        Assert.That(ids[0], Is.EqualTo(single));
        Assert.That(ids[2], Is.EqualTo(ids[1]));
        var before = await RowCountsAsync();

        var again = (await PostAsync(Route, new { records = items })).AssertOk().Data;
        Assert.That(Ids(again), Is.EqualTo(ids));
        Assert.That(again.GetProperty("created").GetInt32(), Is.Zero);
        Assert.That(await RowCountsAsync(), Is.EqualTo(before));
    }

    [Test]
    public async Task Conflicts_with_present_records_or_within_the_request_are_409_by_index_and_nothing_is_written()
    {
        var (domainId, _) = await SeedZoneAsync();
        var cname = (await CreateRecordAsync(domainId, "CNAME", "alias", "t.example.net")).AssertOk().Data.GetProperty("id").GetInt64();
        var owned = (await CreateRecordAsync(domainId, "TXT", "owned", "v", ownerId: 1)).AssertOk().Data.GetProperty("id").GetInt64();
        var before = await RowCountsAsync();
        var reply = (await PostAsync(Route, new
        {
            records = new[]
            {
                Item(domainId, "TXT", "fine", "ok"),
                Item(domainId, "A", "alias", "192.0.2.1"),
                Item(domainId, "TXT", "owned", "v", ownerId: 2),
                Item(domainId, "A", "mixed", "192.0.2.2"),
                Item(domainId, "CNAME", "mixed", "u.example.net"),
            },
        })).AssertError(HttpStatusCode.Conflict);
        Assert.That(reply.FieldErrors.Keys, Is.EquivalentTo(new[] { "records[1]", "records[2]", "records[4]" }));
        Assert.That(reply.FieldErrors["records[1]"], Does.Contain($"record {cname}"));
        Assert.That(reply.FieldErrors["records[2]"], Does.Contain($"record {owned}").And.Contain("another owner"));
        Assert.That(reply.FieldErrors["records[4]"], Does.Contain("records[3]"));
        Assert.That(await RowCountsAsync(), Is.EqualTo(before));
    }

    [Test]
    public async Task Items_in_a_domain_that_cannot_take_records_are_400_and_nothing_is_written()
    {
        var (domainId, _) = await SeedZoneAsync();
        var bare = await CreateDomainAsync(NewZone());
        var before = await RowCountsAsync();
        var reply = (await PostAsync(Route, new { records = new[] { Item(domainId, "A", "a", "192.0.2.1"), Item(bare, "A", "a", "192.0.2.1") } }))
            .AssertError(HttpStatusCode.BadRequest);
        Assert.That(reply.FieldErrors.Keys, Is.EqualTo(new[] { "records[1].domainId" }));
        Assert.That(reply.FieldErrors["records[1].domainId"], Does.Contain("has no DNS provider"));
        Assert.That(await RowCountsAsync(), Is.EqualTo(before));
    }

    [Test]
    public async Task Concurrent_bulk_and_single_creates_of_a_cname_and_an_a_at_one_name_let_exactly_one_kind_win()
    {
        for (var round = 0; round < 5; round++)
        {
            var (domainId, _) = await SeedZoneAsync();
            var bulk = Enumerable.Range(0, 3).Select(i => PostAsync(Route, new
            {
                records = new[] { Item(domainId, "TXT", $"other-{i}", "x"), Item(domainId, "CNAME", "contested", $"t{i}.example.net") },
            }));
            var singles = Enumerable.Range(0, 3).Select(i => CreateRecordAsync(domainId, "A", "contested", $"192.0.2.{i + 1}"));
            var replies = await Task.WhenAll(bulk.Concat(singles));
            Assert.That(replies.Select(r => r.Status), Is.All.AnyOf(HttpStatusCode.OK, HttpStatusCode.Conflict), string.Join("\n", replies.Select(r => r.Text)));

            await using var connection = await OpenAsync();
            var types = (await connection.QueryAsync<string>(
                "SELECT type FROM domain_dns_records WHERE domain_id = @domainId AND name = 'contested' AND desired_state = 'present'", new { domainId })).ToList();
            Assert.That(types, Is.Not.Empty);
            Assert.That(types.Contains("CNAME") ? types : [], Has.Count.LessThanOrEqualTo(1), "a CNAME stands alone");
            var others = await connection.QuerySingleAsync<long>("SELECT COUNT(*) FROM domain_dns_records WHERE domain_id = @domainId AND name LIKE 'other-%'", new { domainId });
            Assert.That(others, Is.EqualTo(replies.Take(3).Count(r => r.Status == HttpStatusCode.OK)), "a refused bulk create wrote none of its rows");
        }
    }

    private static long[] Ids(JsonElement result) => result.GetProperty("records").EnumerateArray().Select(r => r.GetProperty("id").GetInt64()).ToArray();

    private async Task<long> CountAsync(long domainId)
    {
        await using var connection = await OpenAsync();
        return await connection.QuerySingleAsync<long>("SELECT COUNT(*) FROM domain_dns_records WHERE domain_id = @domainId", new { domainId });
    }
}
