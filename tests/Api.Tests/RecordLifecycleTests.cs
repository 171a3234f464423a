using System.Net;
using System.Text.Json;
using Dapper;

namespace DnsSync.Api.Tests;

/// <summary>Update, delete, retry, get and list, including how they treat rows a worker holds.</summary>
public sealed class RecordLifecycleTests : ApiTestBase
{
    [Test]
    public async Task Update_changes_value_bumps_version_and_resets_retry_state()
    {
        var (domainId, _) = await SeedZoneAsync();
        var id = (await CreateRecordAsync(domainId, "A", "upd", "192.0.2.1")).AssertOk().Data.GetProperty("id").GetInt64();
        await ExecAsync("""
            UPDATE domain_dns_records SET status = 'error', retry_count = 4, next_retry_at = UTC_TIMESTAMP(6) + INTERVAL 1 HOUR,
                   last_error = 'cf 1004: bad', provider_record_id = 'cf-1', attempt_count = 3 WHERE id = @id
            """, new { id });

        var r = (await PostAsync("/api/v1/dns/records/update", new { id, value = "192.0.2.2", ttl = 300 })).AssertOk().Data;

        Assert.Multiple(() =>
        {
            Assert.That(r.GetProperty("value").GetString(), Is.EqualTo("192.0.2.2"));
            Assert.That(r.GetProperty("ttl").GetInt32(), Is.EqualTo(300));
            Assert.That(r.GetProperty("version").GetInt64(), Is.EqualTo(2));
            Assert.That(r.GetProperty("status").GetString(), Is.EqualTo("pending"));
            Assert.That(r.GetProperty("retryCount").GetInt32(), Is.Zero);
            Assert.That(r.GetProperty("nextRetryAt").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(r.GetProperty("lastError").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(r.GetProperty("providerRecordId").GetString(), Is.EqualTo("cf-1"), "the worker updates in place by id");
        });
        await using var connection = await OpenAsync();
        Assert.That(await connection.QuerySingleAsync<int>("SELECT attempt_count FROM domain_dns_records WHERE id = @id", new { id }), Is.EqualTo(3));
    }

    [Test]
    public async Task Update_of_a_running_row_keeps_running_and_its_lease()
    {
        var (domainId, _) = await SeedZoneAsync();
        var id = (await CreateRecordAsync(domainId, "A", "held", "192.0.2.1")).AssertOk().Data.GetProperty("id").GetInt64();
        await ExecAsync("UPDATE domain_dns_records SET status = 'running', locked_by = 'worker-1', locked_until = UTC_TIMESTAMP(6) + INTERVAL 1 MINUTE WHERE id = @id", new { id });

        var r = (await PostAsync("/api/v1/dns/records/update", new { id, proxied = true })).AssertOk().Data;

        Assert.That(r.GetProperty("status").GetString(), Is.EqualTo("running"));
        Assert.That(r.GetProperty("version").GetInt64(), Is.EqualTo(2));
        await using var connection = await OpenAsync();
        Assert.That(await connection.QuerySingleAsync<string>("SELECT locked_by FROM domain_dns_records WHERE id = @id", new { id }), Is.EqualTo("worker-1"));
    }

    [Test]
    public async Task Update_that_changes_nothing_returns_the_record_unchanged()
    {
        var (domainId, _) = await SeedZoneAsync();
        var created = (await CreateRecordAsync(domainId, "AAAA", "same", "2001:db8::1", ttl: 300)).AssertOk().Data;
        var r = (await PostAsync("/api/v1/dns/records/update", new { id = created.GetProperty("id").GetInt64(), value = "2001:DB8:0::1", ttl = 300 })).AssertOk().Data;
        Assert.That(r.GetProperty("version").GetInt64(), Is.EqualTo(1));
        Assert.That(r.GetProperty("updatedAt").GetString(), Is.EqualTo(created.GetProperty("updatedAt").GetString()));
    }

    [Test]
    public async Task Update_errors_404_unknown_409_absent_409_duplicate_value()
    {
        var (domainId, _) = await SeedZoneAsync();
        (await PostAsync("/api/v1/dns/records/update", new { id = 987_654, ttl = 300 })).AssertError(HttpStatusCode.NotFound);

        var first = (await CreateRecordAsync(domainId, "A", "dupval", "192.0.2.1")).AssertOk().Data.GetProperty("id").GetInt64();
        var second = (await CreateRecordAsync(domainId, "A", "dupval", "192.0.2.2")).AssertOk().Data.GetProperty("id").GetInt64();
        var before = await RowCountsAsync();
        var dup = (await PostAsync("/api/v1/dns/records/update", new { id = second, value = "192.0.2.1" })).AssertError(HttpStatusCode.Conflict);
        Assert.That(dup.Message, Does.Contain($"record {first}"));
        Assert.That(await RowCountsAsync(), Is.EqualTo(before), "refused update writes nothing");

        (await PostAsync("/api/v1/dns/records/delete", new { ids = new[] { second } })).AssertOk();
        var absent = (await PostAsync("/api/v1/dns/records/update", new { id = second, ttl = 600 })).AssertError(HttpStatusCode.Conflict);
        Assert.That(absent.Message, Does.Contain("absent"));
    }

    [Test]
    public async Task Delete_marks_present_rows_absent_and_counts_only_those()
    {
        var (domainId, _) = await SeedZoneAsync();
        var a = (await CreateRecordAsync(domainId, "A", "del", "192.0.2.1")).AssertOk().Data.GetProperty("id").GetInt64();
        var b = (await CreateRecordAsync(domainId, "A", "del", "192.0.2.2")).AssertOk().Data.GetProperty("id").GetInt64();
        await ExecAsync("UPDATE domain_dns_records SET status = 'error', retry_count = 10, last_error = 'x' WHERE id = @b", new { b });

        var affected = (await PostAsync("/api/v1/dns/records/delete", new { ids = new[] { a, b, 999_999 } })).AssertOk();
        Assert.That(affected.Data.GetProperty("affected").GetInt32(), Is.EqualTo(2));
        var again = (await PostAsync("/api/v1/dns/records/delete", new { ids = new[] { a } })).AssertOk();
        Assert.That(again.Data.GetProperty("affected").GetInt32(), Is.Zero, "already absent is not counted");

        var rb = (await GetAsync($"/api/v1/dns/records/{b}")).AssertOk().Data;
        Assert.Multiple(() =>
        {
            Assert.That(rb.GetProperty("desiredState").GetString(), Is.EqualTo("absent"));
            Assert.That(rb.GetProperty("status").GetString(), Is.EqualTo("pending"));
            Assert.That(rb.GetProperty("retryCount").GetInt32(), Is.Zero);
            Assert.That(rb.GetProperty("lastError").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(rb.GetProperty("version").GetInt64(), Is.EqualTo(2));
        });
    }

    [Test]
    public async Task Delete_validates_ids()
    {
        var before = await RowCountsAsync();
        (await PostAsync("/api/v1/dns/records/delete", new { ids = Array.Empty<long>() })).AssertInvalid("ids", "1 to 1000");
        (await PostAsync("/api/v1/dns/records/delete", new { })).AssertInvalid("ids", "1 to 1000");
        (await PostAsync("/api/v1/dns/records/delete", new { ids = new[] { 1L, 0L } })).AssertInvalid("ids", "positive integer");
        (await PostAsync("/api/v1/dns/records/delete", new { ids = Enumerable.Range(1, 1001).ToArray() })).AssertInvalid("ids", "at most 1000");
        Assert.That(await RowCountsAsync(), Is.EqualTo(before));
    }

    [Test]
    public async Task Retry_resets_an_errored_record_and_refuses_others()
    {
        var (domainId, _) = await SeedZoneAsync();
        var id = (await CreateRecordAsync(domainId, "A", "retry", "192.0.2.1")).AssertOk().Data.GetProperty("id").GetInt64();

        (await PostAsync("/api/v1/dns/records/retry", new { id = 987_654 })).AssertError(HttpStatusCode.NotFound);
        var notInError = (await PostAsync("/api/v1/dns/records/retry", new { id })).AssertError(HttpStatusCode.Conflict);
        Assert.That(notInError.Message, Does.Contain("is pending, not error"));
        (await PostAsync("/api/v1/dns/records/retry", new { })).AssertInvalid("id", "id is required");

        await ExecAsync("UPDATE domain_dns_records SET status = 'error', retry_count = 10, next_retry_at = NULL, last_error = 'cf 9109: denied' WHERE id = @id", new { id });
        var r = (await PostAsync("/api/v1/dns/records/retry", new { id })).AssertOk().Data;

        Assert.Multiple(() =>
        {
            Assert.That(r.GetProperty("status").GetString(), Is.EqualTo("pending"));
            Assert.That(r.GetProperty("retryCount").GetInt32(), Is.Zero);
            Assert.That(r.GetProperty("nextRetryAt").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(r.GetProperty("lastError").GetString(), Is.EqualTo("cf 9109: denied"), "kept until the next outcome");
            Assert.That(r.GetProperty("version").GetInt64(), Is.EqualTo(1), "retry is not a change of intent");
        });
    }

    [Test]
    public async Task Get_returns_the_record_or_404()
    {
        var (domainId, zone) = await SeedZoneAsync();
        var id = (await CreateRecordAsync(domainId, "CNAME", "get", "t.example.net")).AssertOk().Data.GetProperty("id").GetInt64();
        var r = (await GetAsync($"/api/v1/dns/records/{id}")).AssertOk().Data;
        Assert.That(r.GetProperty("fqdn").GetString(), Is.EqualTo($"get.{zone}"));
        var missing = (await GetAsync("/api/v1/dns/records/987654")).AssertError(HttpStatusCode.NotFound);
        Assert.That(missing.Message, Is.EqualTo("record 987654 does not exist"));
    }

    [Test]
    public async Task List_filters_pages_and_orders_newest_first()
    {
        var (domainId, zone) = await SeedZoneAsync();
        var ids = new List<long>();
        for (var i = 0; i < 5; i++)
            ids.Add((await CreateRecordAsync(domainId, "A", "list", $"192.0.2.{i + 1}", ownerType: "website_domain", ownerId: 40 + i % 2)).AssertOk().Data.GetProperty("id").GetInt64());
        var txt = (await CreateRecordAsync(domainId, "TXT", "other", "x", ownerType: "acme_challenge", ownerId: 9)).AssertOk().Data.GetProperty("id").GetInt64();
        (await PostAsync("/api/v1/dns/records/delete", new { ids = new[] { ids[0] } })).AssertOk();
        await ExecAsync("UPDATE domain_dns_records SET status = 'active' WHERE id = @id", new { id = ids[1] });

        var page1 = (await GetAsync($"/api/v1/dns/records?domainId={domainId}&pageSize=2")).AssertOk().Data;
        Assert.That(page1.GetProperty("total").GetInt64(), Is.EqualTo(6));
        Assert.That(page1.GetProperty("page").GetInt32(), Is.EqualTo(1));
        Assert.That(page1.GetProperty("pageSize").GetInt32(), Is.EqualTo(2));
        Assert.That(Ids(page1), Is.EqualTo(new[] { txt, ids[4] }));
        var page2 = (await GetAsync($"/api/v1/dns/records?domainId={domainId}&pageSize=2&page=2")).AssertOk().Data;
        Assert.That(Ids(page2), Is.EqualTo(new[] { ids[3], ids[2] }));
        var page9 = (await GetAsync($"/api/v1/dns/records?domainId={domainId}&page=9")).AssertOk().Data;
        Assert.That(Ids(page9), Is.Empty);

        Assert.That(Ids((await GetAsync($"/api/v1/dns/records?domainId={domainId}&type=txt")).AssertOk().Data), Is.EqualTo(new[] { txt }));
        Assert.That(Ids((await GetAsync($"/api/v1/dns/records?domainId={domainId}&name=LIST.{zone}.")).AssertOk().Data), Has.Length.EqualTo(5));
        Assert.That(Ids((await GetAsync($"/api/v1/dns/records?domainId={domainId}&name=list")).AssertOk().Data), Has.Length.EqualTo(5));
        Assert.That(Ids((await GetAsync($"/api/v1/dns/records?domainId={domainId}&ownerType=website_domain&ownerId=41")).AssertOk().Data), Is.EqualTo(new[] { ids[3], ids[1] }));
        Assert.That(Ids((await GetAsync($"/api/v1/dns/records?domainId={domainId}&status=active")).AssertOk().Data), Is.EqualTo(new[] { ids[1] }));
        Assert.That(Ids((await GetAsync($"/api/v1/dns/records?domainId={domainId}&desiredState=absent")).AssertOk().Data), Is.EqualTo(new[] { ids[0] }));
        Assert.That(Ids((await GetAsync("/api/v1/dns/records?ownerType=acme_challenge&ownerId=9&pageSize=100")).AssertOk().Data), Does.Contain(txt));
    }

    [Test]
    public async Task List_rejects_every_bad_filter_by_name()
    {
        var reply = (await GetAsync("/api/v1/dns/records?domainId=abc&status=done&ownerType=robot&ownerId=-1&type=MX&desiredState=gone&page=0&pageSize=101"))
            .AssertError(HttpStatusCode.BadRequest);
        Assert.That(reply.FieldErrors.Keys, Is.EquivalentTo(new[] { "domainId", "status", "ownerType", "ownerId", "type", "desiredState", "page", "pageSize" }));
        Assert.That(reply.FieldErrors["pageSize"], Does.Contain("1 to 100"));
        Assert.That(reply.FieldErrors["status"], Does.Contain("pending, running, active, error"));
        (await GetAsync("/api/v1/dns/records?pageSize=0")).AssertInvalid("pageSize", "1 to 100");
        (await GetAsync("/api/v1/dns/records?domainId=0")).AssertInvalid("domainId", "positive integer");
    }

    private static long[] Ids(JsonElement page) => page.GetProperty("list").EnumerateArray().Select(e => e.GetProperty("id").GetInt64()).ToArray();
}
