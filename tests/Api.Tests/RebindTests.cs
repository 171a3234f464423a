using System.Net;
using System.Text.Json;

namespace DnsSync.Api.Tests;

/// <summary>Binding a domain to another zone or key: the bind's answer, the stranded list and its delete request.</summary>
public sealed class RebindTests : ApiTestBase
{
    /// <summary>A bound domain with two records the worker has synced (provider ids set the way its write-back sets them).</summary>
    private async Task<(long DomainId, long KeyId, long[] Records)> SyncedDomainAsync()
    {
        var (domainId, _) = await SeedZoneAsync();
        var keyId = (await GetAsync($"/api/v1/domains/{domainId}")).AssertOk().Data.GetProperty("binding").GetProperty("apiKeyId").GetInt64();
        var a = (await CreateRecordAsync(domainId, "A", "www", "192.0.2.1")).AssertOk().Data.GetProperty("id").GetInt64();
        var txt = (await CreateRecordAsync(domainId, "TXT", "@", "v=1")).AssertOk().Data.GetProperty("id").GetInt64();
        await ExecAsync("""
            UPDATE domain_dns_records SET status = 'active', provider_record_id = CONCAT('rid-', id), synced_version = version
            WHERE domain_id = @domainId
            """, new { domainId });
        return (domainId, keyId, [a, txt]);
    }

    private Task<Reply> BindAsync(long domainId, string zoneId, long apiKeyId, object? moveRecords = null) =>
        PostAsync("/api/v1/dns/providers/bind", moveRecords is null
            ? new { domainId, provider = "cloudflare", providerZoneId = zoneId, apiKeyId }
            : new { domainId, provider = "cloudflare", providerZoneId = zoneId, apiKeyId, moveRecords });

    [Test]
    public async Task Bind_to_another_zone_answers_and_lists_the_records_left_at_the_old_one_and_requeues_the_rows()
    {
        var (domainId, keyId, records) = await SyncedDomainAsync();

        var data = (await BindAsync(domainId, "zone-new-" + domainId, keyId)).AssertOk().Data;

        Assert.That(data.GetProperty("providerZoneId").GetString(), Is.EqualTo("zone-new-" + domainId));
        var rebind = data.GetProperty("rebind");
        Assert.Multiple(() =>
        {
            Assert.That(rebind.GetProperty("previousZoneId").GetString(), Is.EqualTo("zone-" + domainId));
            Assert.That(rebind.GetProperty("previousApiKeyId").GetInt64(), Is.EqualTo(keyId));
            Assert.That(rebind.GetProperty("moveRecords").GetBoolean(), Is.False);
            Assert.That(rebind.GetProperty("requeued").GetInt32(), Is.EqualTo(2));
            Assert.That(rebind.GetProperty("stranded").GetInt32(), Is.EqualTo(2));
            Assert.That(rebind.GetProperty("strandedRecords").EnumerateArray().Select(s => (s.GetProperty("recordId").GetInt64(),
                s.GetProperty("providerRecordId").GetString(), s.GetProperty("status").GetString())),
                Is.EquivalentTo(records.Select(id => (id, $"rid-{id}", "kept"))));
        });
        foreach (var id in records)
        {
            var record = (await GetAsync($"/api/v1/dns/records/{id}")).AssertOk().Data;
            Assert.That(record.GetProperty("status").GetString(), Is.EqualTo("pending"));
            Assert.That(record.GetProperty("providerRecordId").ValueKind, Is.EqualTo(JsonValueKind.Null));
        }

        var listed = (await GetAsync($"/api/v1/domains/{domainId}/stranded?pageSize=1")).AssertOk().Data;
        Assert.That(listed.GetProperty("total").GetInt64(), Is.EqualTo(2));
        var first = listed.GetProperty("list")[0];
        Assert.That(first.GetProperty("providerZoneId").GetString(), Is.EqualTo("zone-" + domainId));
        Assert.That(first.GetProperty("fqdn").GetString(), Does.EndWith(".example.com"));
        var next = (await GetAsync($"/api/v1/domains/{domainId}/stranded?pageSize=1&after={listed.GetProperty("nextCursor").GetString()}")).AssertOk().Data;
        Assert.That(next.GetProperty("list")[0].GetProperty("id").GetInt64(), Is.LessThan(first.GetProperty("id").GetInt64()));

        var strandedId = first.GetProperty("id").GetInt64();
        var asked = (await PostAsync($"/api/v1/domains/{domainId}/stranded/delete", new { ids = new[] { strandedId, 987_654L } })).AssertOk().Data;
        Assert.That(asked.GetProperty("affected").GetInt32(), Is.EqualTo(1));
        var after = (await GetAsync($"/api/v1/domains/{domainId}/stranded")).AssertOk().Data.GetProperty("list").EnumerateArray()
            .Single(s => s.GetProperty("id").GetInt64() == strandedId);
        Assert.That((after.GetProperty("deleteRequested").GetBoolean(), after.GetProperty("status").GetString()), Is.EqualTo((true, "pending")));
    }

    [Test]
    public async Task Bind_with_moveRecords_marks_the_old_records_for_deletion()
    {
        var (domainId, keyId, _) = await SyncedDomainAsync();

        var rebind = (await BindAsync(domainId, "zone-moved-" + domainId, keyId, moveRecords: true)).AssertOk().Data.GetProperty("rebind");

        Assert.That(rebind.GetProperty("moveRecords").GetBoolean(), Is.True);
        Assert.That(rebind.GetProperty("strandedRecords").EnumerateArray().Select(s => (s.GetProperty("deleteRequested").GetBoolean(), s.GetProperty("status").GetString())).Distinct(),
            Is.EqualTo(new[] { (true, "pending") }));
    }

    [Test]
    public async Task Bind_to_the_same_target_has_no_rebind_and_another_key_of_the_same_zone_keeps_the_provider_ids()
    {
        var (domainId, keyId, records) = await SyncedDomainAsync();

        var same = (await BindAsync(domainId, "zone-" + domainId, keyId, moveRecords: true)).AssertOk().Data;
        Assert.That(same.TryGetProperty("rebind", out _), Is.False, same.ToString());
        Assert.That((await GetAsync($"/api/v1/dns/records/{records[0]}")).AssertOk().Data.GetProperty("status").GetString(), Is.EqualTo("active"));

        var otherKey = await CreateApiKeyAsync("cf-rotated-token-9999");
        var rebind = (await BindAsync(domainId, "zone-" + domainId, otherKey)).AssertOk().Data.GetProperty("rebind");
        Assert.That((rebind.GetProperty("requeued").GetInt32(), rebind.GetProperty("stranded").GetInt32()), Is.EqualTo((2, 0)));
        var record = (await GetAsync($"/api/v1/dns/records/{records[0]}")).AssertOk().Data;
        Assert.That((record.GetProperty("status").GetString(), record.GetProperty("providerRecordId").GetString()), Is.EqualTo(("pending", $"rid-{records[0]}")));
        Assert.That((await GetAsync($"/api/v1/domains/{domainId}/stranded")).AssertOk().Data.GetProperty("total").GetInt64(), Is.Zero);
    }

    [Test]
    public async Task Bad_moveRecords_and_stranded_requests_are_refused_naming_the_field_and_write_nothing()
    {
        var (domainId, keyId, _) = await SyncedDomainAsync();
        var before = await RowCountsAsync();

        var bad = (await BindAsync(domainId, "zone-x-" + domainId, keyId, moveRecords: "yes")).AssertError(HttpStatusCode.BadRequest);
        Assert.That(bad.Text, Does.Contain("moveRecords"));
        (await GetAsync($"/api/v1/domains/{domainId}/stranded?pageSize=500")).AssertInvalid("pageSize", "from 1 to 100");
        (await GetAsync("/api/v1/domains/987654/stranded")).AssertError(HttpStatusCode.NotFound);
        (await PostAsync($"/api/v1/domains/{domainId}/stranded/delete", new { ids = Array.Empty<long>() })).AssertInvalid("ids", "1 to 1000");
        (await PostAsync("/api/v1/domains/987654/stranded/delete", new { ids = new[] { 1L } })).AssertError(HttpStatusCode.NotFound);

        Assert.That(await RowCountsAsync(), Is.EqualTo(before));
    }
}
