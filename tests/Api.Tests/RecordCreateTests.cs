using System.Net;
using Dapper;

namespace DnsSync.Api.Tests;

public sealed class RecordCreateTests : ApiTestBase
{
    [Test]
    public async Task Create_normalises_and_returns_the_full_record()
    {
        var (domainId, zone) = await SeedZoneAsync();

        var reply = (await CreateRecordAsync(domainId, "a", $"WWW.{zone.ToUpperInvariant()}.", " 192.0.2.10 ", ownerType: "node_group", ownerId: 7)).AssertOk();

        var r = reply.Data;
        Assert.Multiple(() =>
        {
            Assert.That(r.GetProperty("id").GetInt64(), Is.Positive);
            Assert.That(r.GetProperty("domainId").GetInt64(), Is.EqualTo(domainId));
            Assert.That(r.GetProperty("type").GetString(), Is.EqualTo("A"));
            Assert.That(r.GetProperty("name").GetString(), Is.EqualTo("www"));
            Assert.That(r.GetProperty("fqdn").GetString(), Is.EqualTo($"www.{zone}"));
            Assert.That(r.GetProperty("value").GetString(), Is.EqualTo("192.0.2.10"));
            Assert.That(r.GetProperty("ttl").GetInt32(), Is.EqualTo(120), "default ttl");
            Assert.That(r.GetProperty("proxied").GetBoolean(), Is.False);
            Assert.That(r.GetProperty("status").GetString(), Is.EqualTo("pending"));
            Assert.That(r.GetProperty("desiredState").GetString(), Is.EqualTo("present"));
            Assert.That(r.GetProperty("providerRecordId").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Null));
            Assert.That(r.GetProperty("lastError").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Null));
            Assert.That(r.GetProperty("retryCount").GetInt32(), Is.Zero);
            Assert.That(r.GetProperty("nextRetryAt").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Null));
            Assert.That(r.GetProperty("ownerType").GetString(), Is.EqualTo("node_group"));
            Assert.That(r.GetProperty("ownerId").GetInt64(), Is.EqualTo(7));
            Assert.That(r.GetProperty("version").GetInt64(), Is.EqualTo(1));
            Assert.That(r.GetProperty("lastSyncedAt").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Null));
            Assert.That(r.GetProperty("createdAt").GetString(), Does.EndWith("Z"));
            Assert.That(r.GetProperty("updatedAt").GetString(), Does.EndWith("Z"));
            Assert.That(r.GetProperty("createdAt").GetDateTime(), Is.EqualTo(DateTime.UtcNow).Within(TimeSpan.FromMinutes(1)), "UTC");
        });
        Assert.That(r.EnumerateObject().Select(p => p.Name), Is.EquivalentTo(new[]
        {
            "id", "domainId", "type", "name", "fqdn", "value", "ttl", "proxied", "status", "desiredState", "providerRecordId",
            "lastError", "retryCount", "nextRetryAt", "ownerType", "ownerId", "version", "lastSyncedAt", "createdAt", "updatedAt",
        }));
    }

    [TestCase("@", "@")]
    [TestCase("www", "www")]
    [TestCase("a.b", "a.b")]
    [TestCase("ZONE", "@")]
    [TestCase("www.ZONE", "www")]
    [TestCase("www.ZONE.", "www")]
    [TestCase("*.dev", "*.dev")]
    public async Task Names_are_stored_relative_lower_case_without_trailing_dot(string given, string stored)
    {
        var (domainId, zone) = await SeedZoneAsync();
        var reply = (await CreateRecordAsync(domainId, "TXT", given.Replace("ZONE", zone.ToUpperInvariant()), "v=1")).AssertOk();
        Assert.That(reply.Data.GetProperty("name").GetString(), Is.EqualTo(stored));
        Assert.That(reply.Data.GetProperty("fqdn").GetString(), Is.EqualTo(stored == "@" ? zone : $"{stored}.{zone}"));
    }

    [Test]
    public async Task Www_and_its_fqdn_are_the_same_record()
    {
        var (domainId, zone) = await SeedZoneAsync();
        var first = (await CreateRecordAsync(domainId, "A", "www", "192.0.2.1")).AssertOk();
        var second = (await CreateRecordAsync(domainId, "A", $"www.{zone}.", "192.0.2.1")).AssertOk();
        Assert.That(second.Data.GetProperty("id").GetInt64(), Is.EqualTo(first.Data.GetProperty("id").GetInt64()));
    }

    [Test]
    public async Task Content_is_stored_in_canonical_form()
    {
        var (domainId, _) = await SeedZoneAsync();
        Assert.That((await CreateRecordAsync(domainId, "AAAA", "v6", "2001:DB8:0:0::10")).AssertOk().Data.GetProperty("value").GetString(), Is.EqualTo("2001:db8::10"));
        Assert.That((await CreateRecordAsync(domainId, "CNAME", "alias", "Target.Example.NET.")).AssertOk().Data.GetProperty("value").GetString(), Is.EqualTo("target.example.net"));
        Assert.That((await CreateRecordAsync(domainId, "TXT", "txt", "Case Sensitive \"quoted\"")).AssertOk().Data.GetProperty("value").GetString(), Is.EqualTo("Case Sensitive \"quoted\""));
    }

    [Test]
    public async Task Proxied_a_record_with_automatic_ttl_is_accepted()
    {
        var (domainId, _) = await SeedZoneAsync();
        var reply = (await CreateRecordAsync(domainId, "A", "cdn", "192.0.2.5", ttl: 1, proxied: true)).AssertOk();
        Assert.That(reply.Data.GetProperty("proxied").GetBoolean(), Is.True);
        Assert.That(reply.Data.GetProperty("ttl").GetInt32(), Is.EqualTo(1));
    }

    [Test]
    public async Task Identical_create_of_the_same_owner_returns_the_existing_record()
    {
        var (domainId, _) = await SeedZoneAsync();
        var first = (await CreateRecordAsync(domainId, "TXT", "_acme-challenge", "token-1", ownerType: "acme_challenge", ownerId: 3)).AssertOk();
        var again = (await CreateRecordAsync(domainId, "TXT", "_acme-challenge", "token-1", ownerType: "acme_challenge", ownerId: 3)).AssertOk();
        Assert.That(again.Data.GetProperty("id").GetInt64(), Is.EqualTo(first.Data.GetProperty("id").GetInt64()));
        Assert.That(await CountAsync(domainId), Is.EqualTo(1));
    }

    [TestCase("A", "192.0.2.44")]
    [TestCase("TXT", "shared")]
    public async Task Identical_create_of_another_owner_is_409(string type, string value)
    {
        var (domainId, _) = await SeedZoneAsync();
        var first = (await CreateRecordAsync(domainId, type, "dup", value, ownerType: "node_group", ownerId: 1)).AssertOk();
        var other = (await CreateRecordAsync(domainId, type, "dup", value, ownerType: "line_group", ownerId: 1)).AssertError(HttpStatusCode.Conflict);
        Assert.That(other.Message, Does.Contain("another owner"));
        Assert.That(other.Data.GetProperty("conflictingId").GetInt64(), Is.EqualTo(first.Data.GetProperty("id").GetInt64()));
        Assert.That(await CountAsync(domainId), Is.EqualTo(1));
    }

    [Test]
    public async Task Several_a_records_may_share_a_name()
    {
        var (domainId, _) = await SeedZoneAsync();
        (await CreateRecordAsync(domainId, "A", "rr", "192.0.2.1")).AssertOk();
        (await CreateRecordAsync(domainId, "A", "rr", "192.0.2.2")).AssertOk();
        (await CreateRecordAsync(domainId, "AAAA", "rr", "2001:db8::2")).AssertOk();
        (await CreateRecordAsync(domainId, "TXT", "rr", "txt next to addresses")).AssertOk();
        Assert.That(await CountAsync(domainId), Is.EqualTo(4));
    }

    [TestCase("A", "192.0.2.1", "CNAME", "target.example.net")]
    [TestCase("AAAA", "2001:db8::1", "CNAME", "target.example.net")]
    [TestCase("CNAME", "one.example.net", "CNAME", "two.example.net")]
    [TestCase("CNAME", "target.example.net", "A", "192.0.2.1")]
    [TestCase("CNAME", "target.example.net", "AAAA", "2001:db8::1")]
    public async Task Cname_exclusivity_is_409_naming_the_conflicting_record(string firstType, string firstValue, string secondType, string secondValue)
    {
        var (domainId, _) = await SeedZoneAsync();
        var first = (await CreateRecordAsync(domainId, firstType, "shared", firstValue)).AssertOk();
        var rowsBefore = await RowCountsAsync();

        var second = (await CreateRecordAsync(domainId, secondType, "shared", secondValue)).AssertError(HttpStatusCode.Conflict);

        var firstId = first.Data.GetProperty("id").GetInt64();
        Assert.That(second.Message, Does.Contain($"record {firstId}"));
        Assert.That(second.Message, Does.Contain("CNAME"));
        Assert.That(second.Data.GetProperty("conflictingId").GetInt64(), Is.EqualTo(firstId));
        Assert.That(await RowCountsAsync(), Is.EqualTo(rowsBefore), "a refused create writes nothing");
    }

    [Test]
    public async Task Cname_may_follow_once_the_conflicting_record_is_absent()
    {
        var (domainId, _) = await SeedZoneAsync();
        var a = (await CreateRecordAsync(domainId, "A", "moving", "192.0.2.1")).AssertOk();
        (await PostAsync("/api/v1/dns/records/delete", new { ids = new[] { a.Data.GetProperty("id").GetInt64() } })).AssertOk();
        (await CreateRecordAsync(domainId, "CNAME", "moving", "target.example.net")).AssertOk();
    }

    [Test]
    public async Task Txt_may_share_a_name_with_a_cname_rule_only_covers_addresses()
    {
        var (domainId, _) = await SeedZoneAsync();
        (await CreateRecordAsync(domainId, "CNAME", "mixed", "target.example.net")).AssertOk();
        (await CreateRecordAsync(domainId, "TXT", "mixed", "verification")).AssertOk();
    }

    [Test]
    public async Task Concurrent_identical_creates_produce_exactly_one_row()
    {
        var (domainId, _) = await SeedZoneAsync();
        var replies = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => CreateRecordAsync(domainId, "A", "race", "192.0.2.99", ownerId: 5)));

        foreach (var reply in replies) reply.AssertOk();
        Assert.That(replies.Select(r => r.Data.GetProperty("id").GetInt64()).Distinct().Count(), Is.EqualTo(1), "every reply names the same record");
        Assert.That(await CountAsync(domainId), Is.EqualTo(1));
    }

    [Test]
    public async Task Concurrent_identical_txt_creates_produce_exactly_one_row()
    {
        var (domainId, _) = await SeedZoneAsync();
        var replies = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => CreateRecordAsync(domainId, "TXT", "race", "same", ownerId: 5)));

        foreach (var reply in replies) reply.AssertOk();
        Assert.That(replies.Select(r => r.Data.GetProperty("id").GetInt64()).Distinct().Count(), Is.EqualTo(1));
        Assert.That(await CountAsync(domainId), Is.EqualTo(1));
    }

    [Test]
    public async Task Concurrent_cname_and_a_at_one_name_let_exactly_one_win()
    {
        for (var round = 0; round < 5; round++)
        {
            var (domainId, _) = await SeedZoneAsync();
            var creates = Enumerable.Range(0, 10).Select(i => i % 2 == 0
                ? CreateRecordAsync(domainId, "CNAME", "contested", $"t{i}.example.net")
                : CreateRecordAsync(domainId, "A", "contested", $"192.0.2.{i}"));
            var replies = await Task.WhenAll(creates);

            var winners = replies.Select((r, i) => (Reply: r, Index: i)).Where(x => x.Reply.Status == HttpStatusCode.OK).ToList();
            await using var connection = await OpenAsync();
            var types = (await connection.QueryAsync<string>(
                "SELECT type FROM domain_dns_records WHERE domain_id = @domainId AND desired_state = 'present' ORDER BY type", new { domainId })).ToList();
            // Either one CNAME won and everything else was refused, or an A won first: then all five A's (different
            // values may share a name) succeed and every CNAME is refused. Anything else, all 409s included, is wrong.
            var cnameWon = winners.Count == 1 && winners[0].Index % 2 == 0;
            var addressesWon = winners.Count == 5 && winners.All(w => w.Index % 2 == 1);
            Assert.Multiple(() =>
            {
                Assert.That(replies.Where(r => r.Status != HttpStatusCode.OK).Select(r => r.Status), Is.All.EqualTo(HttpStatusCode.Conflict), $"round {round}: losers get 409");
                Assert.That(cnameWon || addressesWon, Is.True,
                    $"round {round}: exactly one CNAME or all five A's succeed; winners were {string.Join(", ", winners.Select(w => w.Index))}");
                Assert.That(types, Is.EqualTo(cnameWon ? new[] { "CNAME" } : Enumerable.Repeat("A", 5).ToArray()), $"round {round}: the rows are the winners");
            });
        }
    }

    private async Task<long> CountAsync(long domainId)
    {
        await using var connection = await OpenAsync();
        return await connection.QuerySingleAsync<long>("SELECT COUNT(*) FROM domain_dns_records WHERE domain_id = @domainId", new { domainId });
    }
}
