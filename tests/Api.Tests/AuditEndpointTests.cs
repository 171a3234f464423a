using System.Net;
using System.Text;
using Dapper;

namespace DnsSync.Api.Tests;

/// <summary>
/// GET/POST /domains/{id}/audit, GET /domains/{id}/plan and POST /domains/{id}/import over HTTP: the envelope, validation,
/// and what the api records for the worker. The worker's side (listing, classifying, applying) is in Worker.Tests; here
/// its results are written as it writes them.
/// </summary>
public sealed class AuditEndpointTests : ApiTestBase
{
    private static string Audit(long id) => $"/api/v1/domains/{id}/audit";

    private async Task<DateTime?> RequestedAtAsync(long domainId)
    {
        await using var connection = await OpenAsync();
        return await connection.ExecuteScalarAsync<DateTime?>("SELECT requested_at FROM zone_audits WHERE domain_id = @domainId", new { domainId });
    }

    /// <summary>A completed audit as a worker writes it, with the given differences.</summary>
    private async Task WriteAuditAsync(long domainId, string outcome, params (string Kind, string Action, string Type, string Name, string Content, string Pid, bool Importable)[] differences)
    {
        await ExecAsync("""
            INSERT INTO zone_audits (domain_id, outcome, started_at, finished_at, duration_ms, requests, remote_records, managed_records,
                                     in_sync, drift, missing, orphans, blocking, unmanaged, unjudged, repaired, recreated, orphans_deleted)
            VALUES (@domainId, @outcome, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), 12, 1, 20, 20, 8, 0, 12, 0, 0, 0, 0, 0, 0, 0)
            ON DUPLICATE KEY UPDATE outcome = @outcome, finished_at = UTC_TIMESTAMP(6)
            """, new { domainId, outcome });
        foreach (var d in differences)
            await ExecAsync("""
                INSERT INTO zone_audit_differences (domain_id, kind, action, provider_record_id, type, name, content, ttl, proxied, importable, detail)
                VALUES (@domainId, @Kind, @Action, @Pid, @Type, @Name, @Content, 300, 0, @Importable, 'written by the test')
                """, new { domainId, d.Kind, d.Action, d.Pid, d.Type, d.Name, d.Content, d.Importable });
    }

    [Test]
    public async Task A_domain_never_audited_answers_its_state_without_differences()
    {
        var (domainId, zone) = await SeedZoneAsync();

        var reply = (await GetAsync(Audit(domainId))).AssertOk();

        Assert.Multiple(() =>
        {
            Assert.That(reply.Data.GetProperty("domain").GetString(), Is.EqualTo(zone));
            Assert.That(reply.Data.GetProperty("outcome").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Null));
            Assert.That(reply.Data.GetProperty("summary").GetString(), Is.EqualTo("not audited yet"));
            Assert.That(reply.Data.GetProperty("differences").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Null));
        });
    }

    [Test]
    public async Task Post_audit_records_a_request_for_the_worker_and_answers_202()
    {
        var (domainId, _) = await SeedZoneAsync();

        var first = await Reply.ReadAsync(await Client.PostAsync(Audit(domainId), null));
        var requestedAt = await RequestedAtAsync(domainId);
        var second = await PostAsync(Audit(domainId), new { });

        Assert.Multiple(async () =>
        {
            Assert.That((first.Status, first.Code), Is.EqualTo((HttpStatusCode.Accepted, 0)), first.Text);
            Assert.That(first.Message, Does.StartWith("accepted"));
            Assert.That(first.Response.Headers.Location?.ToString(), Is.EqualTo(Audit(domainId)));
            Assert.That(first.Data.GetProperty("summary").GetString(), Does.Contain("an audit is requested"));
            Assert.That(requestedAt, Is.Not.Null, "POST without a body asks for an audit");
            Assert.That(second.Status, Is.EqualTo(HttpStatusCode.Accepted));
            Assert.That(await RequestedAtAsync(domainId), Is.EqualTo(requestedAt), "a waiting request is kept, not pushed back");
        });
    }

    [Test]
    public async Task Confirm_releases_only_a_halted_audit()
    {
        var (domainId, _) = await SeedZoneAsync();

        (await PostAsync(Audit(domainId), new { confirm = true })).AssertError(HttpStatusCode.Conflict);
        await WriteAuditAsync(domainId, "halted");
        var halted = (await GetAsync(Audit(domainId))).AssertOk();
        var confirmed = await PostAsync(Audit(domainId), new { confirm = true });

        Assert.Multiple(async () =>
        {
            Assert.That(halted.Data.GetProperty("summary").GetString(), Does.StartWith("audit halted: 0 drifted, 12 missing and 0 orphan records among 20 managed")
                .And.Contain($"POST /api/v1/domains/{domainId}/audit {{\"confirm\": true}}"));
            Assert.That(confirmed.Status, Is.EqualTo(HttpStatusCode.Accepted), confirmed.Text);
            Assert.That(confirmed.Data.GetProperty("confirmRequested").GetBoolean(), Is.True);
            Assert.That(await RequestedAtAsync(domainId), Is.Not.Null, "the confirm asks for the audit that applies");
        });
    }

    [Test]
    public async Task Bad_requests_are_400s_naming_the_field_and_write_nothing()
    {
        var (domainId, _) = await SeedZoneAsync();
        var unbound = await CreateDomainAsync(NewZone());

        (await GetAsync($"{Audit(domainId)}?kind=weird")).AssertInvalid("kind", "kind must be one of drift, missing, orphan, blocking, unmanaged");
        (await GetAsync($"{Audit(domainId)}?pageSize=500")).AssertInvalid("pageSize", "pageSize must be an integer from 1 to 100");
        (await GetAsync($"/api/v1/domains/{domainId}/plan?page=0")).AssertInvalid("page", "page must be an integer of at least 1");
        (await PostAsync(Audit(unbound), new { })).AssertInvalid("id", "has no DNS provider");
        var typo = (await PostAsync(Audit(domainId), new { confrim = true })).AssertError(HttpStatusCode.BadRequest);
        var wrongType = await Reply.ReadAsync(await Client.PostAsync(Audit(domainId), new StringContent("{\"confirm\": \"yes\"}", Encoding.UTF8, "application/json")));

        Assert.Multiple(async () =>
        {
            Assert.That(typo.Text, Does.Contain("confrim"));
            wrongType.AssertError(HttpStatusCode.BadRequest);
            Assert.That(await RequestedAtAsync(domainId), Is.Null, "nothing requested");
            Assert.That(await RequestedAtAsync(unbound), Is.Null);
        });
    }

    [Test]
    public async Task Unknown_domains_are_404s()
    {
        (await GetAsync(Audit(987_654))).AssertError(HttpStatusCode.NotFound);
        (await PostAsync(Audit(987_654), new { })).AssertError(HttpStatusCode.NotFound);
        (await GetAsync("/api/v1/domains/987654/plan")).AssertError(HttpStatusCode.NotFound);
        (await PostAsync("/api/v1/domains/987654/import", new { })).AssertError(HttpStatusCode.NotFound);
    }

    [Test]
    public async Task Differences_are_paged_newest_first_and_filtered_by_class()
    {
        var (domainId, _) = await SeedZoneAsync();
        await WriteAuditAsync(domainId, "applied",
            ("missing", "recreate", "A", "a." + domainId, "192.0.2.1", "p1", false),
            ("orphan", "report", "TXT", "b." + domainId, "\"x\"", "p2", false),
            ("unmanaged", "report", "A", "c." + domainId, "192.0.2.3", "p3", true));

        var first = (await GetAsync($"{Audit(domainId)}?pageSize=2")).AssertOk().Data.GetProperty("differences");
        var next = (await GetAsync($"{Audit(domainId)}?pageSize=2&after={first.GetProperty("nextCursor").GetString()}")).AssertOk().Data.GetProperty("differences");
        var orphans = (await GetAsync($"{Audit(domainId)}?kind=orphan")).AssertOk().Data.GetProperty("differences");

        Assert.Multiple(() =>
        {
            Assert.That(first.GetProperty("total").GetInt64(), Is.EqualTo(3));
            Assert.That(first.GetProperty("list").EnumerateArray().Select(d => d.GetProperty("providerRecordId").GetString()), Is.EqualTo(new[] { "p3", "p2" }));
            Assert.That(next.GetProperty("list").EnumerateArray().Select(d => d.GetProperty("kind").GetString()), Is.EqualTo(new[] { "missing" }));
            Assert.That(next.GetProperty("nextCursor").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Null));
            Assert.That(orphans.GetProperty("list").EnumerateArray().Single().GetProperty("action").GetString(), Is.EqualTo("report"));
        });
    }

    [Test]
    public async Task Import_needs_a_completed_audit_and_leaves_out_records_that_now_conflict()
    {
        var (domainId, zone) = await SeedZoneAsync();
        (await PostAsync($"/api/v1/domains/{domainId}/import", new { dryRun = true })).AssertError(HttpStatusCode.Conflict);
        var a = (await CreateRecordAsync(domainId, "A", "taken", "192.0.2.50")).AssertOk().Data.GetProperty("id").GetInt64();
        await WriteAuditAsync(domainId, "applied",
            ("unmanaged", "report", "A", $"legacy.{zone}", "192.0.2.7", "r1", true),
            ("unmanaged", "report", "CNAME", $"taken.{zone}", "elsewhere.example.net", "r2", true),
            ("unmanaged", "report", "MX", $"{zone}", "mail.example.net", "r3", false));
        var before = await RowCountsAsync();

        var dryRun = (await PostAsync($"/api/v1/domains/{domainId}/import", new { dryRun = true })).AssertOk().Data;
        var unchanged = await RowCountsAsync();
        var imported = (await PostAsync($"/api/v1/domains/{domainId}/import", new { })).AssertOk().Data;
        var again = (await PostAsync($"/api/v1/domains/{domainId}/import", new { })).AssertOk().Data;
        var row = (await GetAsync($"/api/v1/dns/records?domainId={domainId}&name=legacy")).AssertOk().Data.GetProperty("list").EnumerateArray().Single();

        Assert.Multiple(() =>
        {
            Assert.That((dryRun.GetProperty("imported").GetInt32(), dryRun.GetProperty("skipped").GetInt32()), Is.EqualTo((1, 1)));
            Assert.That(unchanged, Is.EqualTo(before), "a dry run writes nothing");
            var items = imported.GetProperty("items").EnumerateArray().ToDictionary(i => i.GetProperty("providerRecordId").GetString()!);
            Assert.That(items["r1"].GetProperty("result").GetString(), Is.EqualTo("imported"));
            Assert.That(items["r2"].GetProperty("result").GetString(), Is.EqualTo("skipped"));
            Assert.That(items["r2"].GetProperty("reason").GetString(), Does.Contain($"present A record {a}"), "CNAME exclusivity, as a create");
            Assert.That(items.ContainsKey("r3"), Is.False, "not importable: not offered");
            Assert.That((row.GetProperty("status").GetString(), row.GetProperty("providerRecordId").GetString(), row.GetProperty("ownerType").GetString(), row.GetProperty("ownerId").GetInt64()),
                Is.EqualTo(("active", "r1", "external", 0L)));
            Assert.That((again.GetProperty("imported").GetInt32(), again.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("providerRecordId").GetString())),
                Is.EqualTo((0, new[] { "r2" })), "the imported record is not offered again; the conflicting one still is");
        });
    }

    [Test]
    public async Task Plan_lists_pending_rows_and_orphans_without_changing_anything()
    {
        var (domainId, zone) = await SeedZoneAsync();
        var id = (await CreateRecordAsync(domainId, "A", "www", "192.0.2.10")).AssertOk().Data.GetProperty("id").GetInt64();
        await WriteAuditAsync(domainId, "applied", ("orphan", "report", "TXT", $"old.{zone}", "\"x\"", "o1", false));
        var before = await RowCountsAsync();

        var plan = (await GetAsync($"/api/v1/domains/{domainId}/plan")).AssertOk().Data;
        var changes = plan.GetProperty("changes").GetProperty("list").EnumerateArray().ToList();

        Assert.Multiple(async () =>
        {
            Assert.That(plan.GetProperty("changes").GetProperty("total").GetInt64(), Is.EqualTo(2));
            Assert.That((changes[0].GetProperty("recordId").GetInt64(), changes[0].GetProperty("action").GetString()), Is.EqualTo((id, "create")));
            Assert.That(changes[0].GetProperty("after").GetProperty("fqdn").GetString(), Is.EqualTo($"www.{zone}"));
            Assert.That(changes[0].GetProperty("before").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Null));
            Assert.That((changes[1].GetProperty("action").GetString(), changes[1].GetProperty("before").GetProperty("providerRecordId").GetString()), Is.EqualTo(("orphan", "o1")));
            Assert.That(changes[1].GetProperty("reason").GetString(), Does.Contain("DnsWorker:DeleteOrphans=true"));
            Assert.That(await RowCountsAsync(), Is.EqualTo(before));
        });
    }
}
