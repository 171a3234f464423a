using System.Diagnostics;
using DnsSync.CloudflareEmulator;
using DnsSync.Shared.Audits;
using DnsSync.Shared.Records;
using DnsSync.Worker.Auditing;
using DnsSync.Worker.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DnsSync.Worker.Tests;

/// <summary>
/// The zone audit against the emulator: hand edits and deletions at the provider are repaired through the normal sync
/// path, orphans reported (deleted only when enabled), the brake halts a mass change until confirmed through the api,
/// unmanaged records import, and a zone is listed at 5,000 records per request by one worker at a time.
/// </summary>
public sealed class AuditTests : HarnessTest
{
    private ZoneAuditor Auditor(Action<Dictionary<string, string?>>? configure = null, string? instance = null) =>
        h.Worker(instance, configure).GetRequiredService<ZoneAuditor>();

    /// <summary>POST /domains/{id}/audit through the api's SQL, then one audit round of a worker.</summary>
    private async Task AuditNowAsync(ZoneAuditor? auditor = null)
    {
        await h.RequestAuditAsync();
        Assert.That(await (auditor ?? Auditor()).RunOnceAsync(CancellationToken.None), Is.EqualTo(h.DomainId), "the requested audit ran");
    }

    private async Task<List<long>> ActiveRowsAsync(int count, string prefix = "host")
    {
        var ids = new List<long>();
        for (var i = 1; i <= count; i++) ids.Add(await h.InsertAsync("A", $"{prefix}{i}", $"192.0.2.{i}", ttl: 300));
        await h.RunUntilIdleAsync();
        Assert.That(await h.ScalarAsync<long>("SELECT COUNT(*) FROM domain_dns_records WHERE status = 'active'"), Is.EqualTo(count));
        return ids;
    }

    private async Task<string> PidAsync(long id) => (await h.ExistingRowAsync(id)).ProviderRecordId!;

    [Test]
    public async Task Hand_edit_is_repaired_within_one_audit_interval()
    {
        const int interval = 3;
        var ids = await ActiveRowsAsync(3);
        using var host = h.Host(s => s["DnsWorker:AuditIntervalSec"] = $"{interval}");
        await host.StartAsync();
        try
        {
            // The first scheduled audit comes within one interval of the worker's start.
            await WorkerHarness.EventuallyAsync(async () => (await h.AuditAsync()).FinishedAt is not null, "the first scheduled audit", seconds: interval + 10);
            var pid = await PidAsync(ids[0]);
            var edited = Stopwatch.StartNew();
            await h.EditRemoteAsync(pid, new { content = "203.0.113.66", ttl = 600 });

            await WorkerHarness.EventuallyAsync(() => Task.FromResult(h.Remote().Single(r => r.Id == pid) is { Content: "192.0.2.1", Ttl: 300 }),
                "the hand edit repaired", seconds: interval + 10);
            var repairedAfter = edited.Elapsed;

            var drift = (await h.AuditAsync(AuditKind.Drift)).Differences!.List.Single();
            var row = await h.ExistingRowAsync(ids[0]);
            Assert.Multiple(() =>
            {
                // One interval until the next audit at the latest, plus a sync pass (IntervalSec 1) and slack for a loaded machine.
                Assert.That(repairedAfter, Is.LessThan(TimeSpan.FromSeconds(interval + 3)), "repaired within one audit interval of the edit");
                Assert.That((drift.RecordId, drift.Action, drift.Content), Is.EqualTo(((long?)ids[0], AuditAction.Repair, "203.0.113.66")));
                Assert.That(drift.Detail, Does.StartWith("drift: ").And.Contain("content '203.0.113.66' (declared '192.0.2.1')").And.Contain("ttl 600 (declared 300)"));
                Assert.That((row.Status, row.ProviderRecordId, row.Version, row.SyncedVersion), Is.EqualTo((RecordStatus.Active, pid, 1L, (long?)1)),
                    "patched in place; the version, the client's, is unchanged");
                Assert.That(h.Remote(), Has.Count.EqualTo(3), "no record created");
            });
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Test]
    public async Task Hand_delete_is_recreated_through_the_normal_path()
    {
        var ids = await ActiveRowsAsync(3);
        var old = await PidAsync(ids[1]);
        await h.DeleteRemoteAsync(old);
        var recreatedBefore = WorkerMetrics.AuditRepairs.WithLabels(AuditKind.Missing).Value;
        var before = h.Requests().Count;

        await AuditNowAsync();

        var row = await h.ExistingRowAsync(ids[1]);
        Assert.Multiple(() =>
        {
            Assert.That((row.Status, row.ProviderRecordId, row.SyncedVersion, row.AttemptCount), Is.EqualTo((RecordStatus.Pending, (string?)null, (long?)null, 0)),
                "back to pending without its provider id: a plain create");
            Assert.That(row.LastError, Does.StartWith($"drift: record {old} is missing at cloudflare"));
            Assert.That(WorkerMetrics.AuditRepairs.WithLabels(AuditKind.Missing).Value, Is.EqualTo(recreatedBefore + 1));
        });
        await h.RunUntilIdleAsync();

        row = await h.ExistingRowAsync(ids[1]);
        var audit = await h.AuditAsync();
        Assert.Multiple(async () =>
        {
            Assert.That(row.Status, Is.EqualTo(RecordStatus.Active));
            Assert.That(h.Remote().Single(r => r.Id == row.ProviderRecordId).Comment, Is.EqualTo(await h.MarkerAsync(ids[1])));
            Assert.That(h.Remote(), Has.Count.EqualTo(3));
            Assert.That(h.Requests().Skip(before).Select(r => r.Method), Is.EqualTo(new[] { "GET", "POST" }), "one listing, one create");
            Assert.That((audit.Outcome, audit.Counts!.InSync, audit.Counts.Missing, audit.Applied!.Recreated), Is.EqualTo((AuditOutcome.Applied, 2, 1, 1)));
        });
        await AuditNowAsync();
        Assert.That((await h.AuditAsync()).Counts!.InSync, Is.EqualTo(3), "in sync again");
    }

    [Test]
    public async Task Orphan_is_reported_and_left_alone_by_default()
    {
        await ActiveRowsAsync(2);
        var marker = (await h.MarkerAsync(999))!;
        var orphan = await h.CreateRemoteAsync("TXT", "left-behind", "\"v=1\"", comment: marker);

        await AuditNowAsync();
        await h.RunUntilIdleAsync();

        var difference = (await h.AuditAsync(AuditKind.Orphan)).Differences!.List.Single();
        Assert.Multiple(() =>
        {
            Assert.That((difference.ProviderRecordId, difference.Action, difference.Comment), Is.EqualTo((orphan, AuditAction.Report, marker)));
            Assert.That(difference.Detail, Does.Contain("row 999 does not exist"));
            Assert.That(h.Remote().Select(r => r.Id), Does.Contain(orphan), "not deleted");
            Assert.That(h.Requests("DELETE"), Is.Empty);
        });
    }

    [Test]
    public async Task Orphan_is_deleted_when_DeleteOrphans_is_on_and_never_another_installations_record()
    {
        await ActiveRowsAsync(2);
        var orphans = new[] { await h.CreateRemoteAsync("TXT", "gone-1", "\"a\"", comment: await h.MarkerAsync(998)),
            await h.CreateRemoteAsync("TXT", "gone-2", "\"b\"", comment: await h.MarkerAsync(999)) };
        var legacy = await h.CreateRemoteAsync("TXT", "gone-3", "\"c\"", comment: "dns-sync:997");
        var foreign = await h.CreateRemoteAsync("TXT", "staging", "\"d\"", comment: "dns-sync:otherinstall:5");

        await AuditNowAsync(Auditor(s => s["DnsWorker:DeleteOrphans"] = "true"));

        var audit = await h.AuditAsync();
        Assert.Multiple(() =>
        {
            Assert.That(h.Remote().Select(r => r.Id), Does.Not.Contain(orphans[0]).And.Not.Contain(orphans[1]).And.Not.Contain(legacy),
                "this installation's orphans (the first release's marker counts as ours) are deleted");
            Assert.That(h.Remote().Select(r => r.Id), Does.Contain(foreign), "another installation's record is not ours to delete");
            Assert.That((audit.Counts!.Orphan, audit.Applied!.OrphansDeleted, audit.Requests), Is.EqualTo((3, 3, 2)), "one listing, one batch of deletes");
            var staging = audit.Differences!.List.Single(d => d.ProviderRecordId == foreign);
            Assert.That((staging.Kind, staging.Importable), Is.EqualTo((AuditKind.Unmanaged, false)), "reported, but not importable");
        });
    }

    [Test]
    public async Task Brake_halts_a_mass_deletion_and_a_confirm_releases_it()
    {
        var ids = await ActiveRowsAsync(10);
        var deleted = ids.Take(4).ToList();
        foreach (var id in deleted) await h.DeleteRemoteAsync(await PidAsync(id));

        await AuditNowAsync();
        await h.RunUntilIdleAsync();

        var halted = await h.AuditAsync();
        var plan = (await h.Plans.GetAsync(h.DomainId, new Api.Infrastructure.Paging(1, 100, null), CancellationToken.None))!;
        Assert.Multiple(async () =>
        {
            Assert.That((halted.Outcome, halted.Counts!.Missing, halted.Applied!.Recreated), Is.EqualTo((AuditOutcome.Halted, 4, 0)));
            Assert.That(halted.Summary, Does.StartWith("audit halted: 0 drifted, 4 missing").And.Contain("\"confirm\": true"));
            Assert.That(halted.Differences!.List.Select(d => d.Action).Distinct(), Is.EqualTo(new[] { AuditAction.Halted }));
            Assert.That(h.Remote(), Has.Count.EqualTo(6), "nothing recreated");
            Assert.That(h.Requests("POST"), Has.Count.EqualTo(1), "only the first batch of creates");
            Assert.That(await h.ScalarAsync<long>("SELECT COUNT(*) FROM domain_dns_records WHERE status = 'active' AND provider_record_id IS NOT NULL"), Is.EqualTo(10),
                "no row touched");
            Assert.That(plan.Changes.List.Select(c => (c.RecordId, c.Action)), Is.EquivalentTo(deleted.Select(id => ((long?)id, "recreate"))),
                "the plan shows what a confirm would do");
        });

        // A scheduled audit (no confirm) halts again; the api's confirm releases the next one.
        await AuditNowAsync();
        Assert.That((await h.AuditAsync()).Outcome, Is.EqualTo(AuditOutcome.Halted));
        await h.RequestAuditAsync(confirm: true);
        Assert.That((await h.AuditAsync()).ConfirmRequested, Is.True);
        Assert.That(await Auditor().RunOnceAsync(CancellationToken.None), Is.EqualTo(h.DomainId));
        await h.RunUntilIdleAsync();

        var applied = await h.AuditAsync();
        Assert.Multiple(async () =>
        {
            Assert.That((applied.Outcome, applied.Applied!.Recreated, applied.ConfirmRequested), Is.EqualTo((AuditOutcome.Applied, 4, false)));
            Assert.That(h.Remote(), Has.Count.EqualTo(10));
            Assert.That(await h.ScalarAsync<long>("SELECT COUNT(*) FROM domain_dns_records WHERE status = 'active'"), Is.EqualTo(10));
            Assert.That((await h.Audits.RequestAsync(h.DomainId, confirm: true, CancellationToken.None)).Outcome,
                Is.EqualTo(Api.Audits.AuditRequestOutcome.NotHalted), "nothing left to confirm");
        });
    }

    [Test]
    public async Task A_confirm_releases_no_more_changes_than_the_halted_audit_found()
    {
        var ids = await ActiveRowsAsync(10);
        foreach (var id in ids.Take(4)) await h.DeleteRemoteAsync(await PidAsync(id));
        await AuditNowAsync();
        await h.RequestAuditAsync(confirm: true);
        // More deleted after the person looked: the confirm was for four.
        await h.DeleteRemoteAsync(await PidAsync(ids[4]));

        Assert.That(await Auditor().RunOnceAsync(CancellationToken.None), Is.EqualTo(h.DomainId));

        var audit = await h.AuditAsync();
        Assert.Multiple(() =>
        {
            Assert.That((audit.Outcome, audit.Counts!.Missing, audit.ConfirmRequested), Is.EqualTo((AuditOutcome.Halted, 5, false)));
            Assert.That(h.Remote(), Has.Count.EqualTo(5), "nothing recreated");
        });
    }

    [Test]
    public async Task Import_round_trip_dry_run_import_and_no_second_import()
    {
        var managed = await ActiveRowsAsync(1);
        var a = await h.CreateRemoteAsync("A", "legacy", "198.51.100.7");
        var txt = await h.CreateRemoteAsync("TXT", "@", "\"google-site-verification=abc\"");
        var cname = await h.CreateRemoteAsync("CNAME", "shop", "shops.example.net", proxied: true);
        var mx = await h.SendRemoteAsync(HttpMethod.Post, $"zones/{h.ZoneId}/dns_records", new { type = "MX", name = "@", content = "mail.example.net", priority = 10, ttl = 300 });
        await AuditNowAsync();
        var rowsBefore = await h.ScalarAsync<long>("SELECT COUNT(*) FROM domain_dns_records");

        var dryRun = await ImportAsync(dryRun: true);
        Assert.Multiple(async () =>
        {
            Assert.That((dryRun.DryRun, dryRun.Imported, dryRun.Skipped, dryRun.Remaining), Is.EqualTo((true, 3, 0, 0)));
            Assert.That(dryRun.Items.Select(i => (i.ProviderRecordId, i.Result)), Is.EquivalentTo(new[] { (a, "would import"), (txt, "would import"), (cname, "would import") }));
            Assert.That(await h.ScalarAsync<long>("SELECT COUNT(*) FROM domain_dns_records"), Is.EqualTo(rowsBefore), "a dry run writes nothing");
        });

        var imported = await ImportAsync(dryRun: false);
        var rows = (await Task.WhenAll(imported.Items.Select(i => h.ExistingRowAsync(i.RecordId!.Value)))).ToDictionary(r => r.ProviderRecordId!);
        Assert.Multiple(() =>
        {
            Assert.That(imported.Imported, Is.EqualTo(3));
            Assert.That(rows.Keys, Is.EquivalentTo(new[] { a, txt, cname }), "provider ids kept");
            Assert.That(rows.Values.Select(r => (r.Status, r.DesiredState, r.OwnerType, r.OwnerId, r.SyncedVersion == r.Version)).Distinct(),
                Is.EqualTo(new[] { (RecordStatus.Active, DesiredState.Present, "external", 0L, true) }), "active and in sync, owned like the CMDB's pull sync");
            Assert.That((rows[a].Name, rows[a].Value, rows[txt].Name, rows[cname].Name, rows[cname].Proxied, rows[cname].Ttl),
                Is.EqualTo(("legacy", "198.51.100.7", "@", "shop", true, 1)));
        });

        var again = await ImportAsync(dryRun: false);
        var before = h.Requests().Count;
        await h.RunUntilIdleAsync();
        await AuditNowAsync();
        var audit = await h.AuditAsync();
        Assert.Multiple(() =>
        {
            Assert.That((again.Imported, again.Items.Count), Is.EqualTo((0, 0)), "nothing imported twice");
            Assert.That(h.Requests().Skip(before).Count(r => r.Method != "GET"), Is.Zero, "the worker sends nothing for imported rows");
            Assert.That((audit.Counts!.InSync, audit.Counts.Unmanaged), Is.EqualTo((managed.Count + 3, 1)), "the MX stays unmanaged");
            Assert.That(audit.Differences!.List.Single().ProviderRecordId, Is.EqualTo(mx.GetProperty("id").GetString()));
        });
    }

    private async Task<Api.Audits.ImportResultDto> ImportAsync(bool dryRun) =>
        ((Api.Audits.ImportOutcome.Done)await h.Imports.ImportAsync(h.DomainId, dryRun, CancellationToken.None)).Result;

    [Test]
    public async Task Record_not_ours_at_a_managed_name_is_reported_on_the_row_until_it_is_gone()
    {
        var ids = await ActiveRowsAsync(1);
        var stranger = await h.CreateRemoteAsync("A", "host1", "203.0.113.9");

        await AuditNowAsync();
        var row = await h.ExistingRowAsync(ids[0]);
        var blocking = (await h.AuditAsync(AuditKind.Blocking)).Differences!.List.Single();
        Assert.Multiple(() =>
        {
            Assert.That((row.Status, row.LastError), Is.EqualTo((RecordStatus.Active, $"audit: A host1.example.com '203.0.113.9' (id {stranger}) at cloudflare is not this installation's")));
            Assert.That((blocking.RecordId, blocking.Importable), Is.EqualTo(((long?)ids[0], false)));
            Assert.That(h.Remote().Select(r => r.Id), Does.Contain(stranger), "reported, never touched");
        });

        await h.DeleteRemoteAsync(stranger);
        await AuditNowAsync();
        Assert.That((await h.ExistingRowAsync(ids[0])).LastError, Is.Null, "the report goes with the record");
    }

    [Test]
    public async Task Audit_of_a_12000_record_zone_costs_3_list_requests()
    {
        await h.DisposeAsync();
        h = await WorkerHarness.StartAsync(new EmulatorOptions { RecordQuotaPerZone = 20_000, BatchLimit = 3_500 });
        const int records = 12_000;
        await SeedInSyncAsync(records);
        var before = h.Requests().Count;

        await AuditNowAsync();

        var audit = await h.AuditAsync();
        var lists = h.Requests().Skip(before).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(lists.Select(r => (r.Method, r.Path.EndsWith("/dns_records", StringComparison.Ordinal))), Is.EqualTo(Enumerable.Repeat(("GET", true), 3)));
            Assert.That(lists.Select(r => r.Query), Has.All.Contain("per_page=5000"));
            Assert.That((audit.Requests, audit.RemoteRecords, audit.Counts!.InSync, audit.Differences!.Total), Is.EqualTo(((int?)3, (int?)records, records, 0L)));
        });
    }

    /// <summary>Rows 1..n active and in sync with records marked for them, made directly (the worker would take 60 batches).</summary>
    private async Task SeedInSyncAsync(int count)
    {
        var installation = await h.ScalarAsync<string>("SELECT installation_id FROM installation WHERE id = 1");
        var pids = new Dictionary<string, string>();
        for (var first = 1; first <= count; first += 3_000)
        {
            var posts = Enumerable.Range(first, Math.Min(3_000, count - first + 1))
                .Select(i => new { type = "A", name = $"n{i}", content = $"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}", ttl = 300, comment = $"dns-sync:{installation}:{i}" });
            var result = await h.SendRemoteAsync(HttpMethod.Post, $"zones/{h.ZoneId}/dns_records/batch", new { posts });
            foreach (var created in result.GetProperty("posts").EnumerateArray())
                pids[created.GetProperty("comment").GetString()!] = created.GetProperty("id").GetString()!;
        }
        foreach (var chunk in Enumerable.Range(1, count).Chunk(1_000))
        {
            var values = string.Join(",\n", chunk.Select(i =>
                $"({i}, {h.DomainId}, 'A', 'n{i}', '10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}', 300, 'active', '{pids[$"dns-sync:{installation}:{i}"]}', 1, 1, UTC_TIMESTAMP(6) - INTERVAL 1 MINUTE)"));
            await h.ExecuteAsync($"""
                INSERT INTO domain_dns_records (id, domain_id, type, name, value, ttl, status, provider_record_id, version, synced_version, last_synced_at)
                VALUES {values}
                """);
        }
    }

    [Test]
    public async Task Two_workers_never_audit_one_zone_at_once()
    {
        await ActiveRowsAsync(2);
        await h.RequestAuditAsync();
        h.Emulator.AddFault(new FaultRule { Kind = FaultKind.Latency, Method = "GET", LatencyMs = 500 });
        var first = Auditor(instance: "audit-a");
        var second = Auditor(instance: "audit-b");

        var audited = await Task.WhenAll(first.RunOnceAsync(CancellationToken.None), second.RunOnceAsync(CancellationToken.None));

        Assert.Multiple(async () =>
        {
            Assert.That(audited.Count(d => d == h.DomainId), Is.EqualTo(1), "one of the two took the zone");
            Assert.That(audited.Count(d => d is null), Is.EqualTo(1), "the other found no audit due");
            Assert.That(h.Requests("GET"), Has.Count.EqualTo(1), "one listing");
            Assert.That(await h.ScalarAsync<string?>("SELECT locked_by FROM zone_audits WHERE domain_id = @DomainId", new { h.DomainId }), Is.Null, "lease released");
        });
    }

    [Test]
    public async Task Row_changed_while_its_zone_is_listed_is_not_judged()
    {
        var ids = await ActiveRowsAsync(2);
        await h.RequestAuditAsync();
        // The listing is answered as the zone is when it arrives, but the answer is held for 1.5 s.
        h.Emulator.AddFault(new FaultRule { Kind = FaultKind.ApplyThenHang, Method = "GET", HangMs = 1500, Count = 1 });
        var audit = Auditor().RunOnceAsync(CancellationToken.None);
        await WorkerHarness.EventuallyAsync(async () => await h.ScalarAsync<string?>("SELECT locked_by FROM zone_audits") is not null, "the audit's lease");
        // Meanwhile the api changes the row and the worker syncs it: the listing shows the old value.
        await h.UpdateIntentAsync(ids[0], "198.51.100.1");
        await h.RunUntilIdleAsync();
        await audit;

        var result = await h.AuditAsync();
        Assert.Multiple(async () =>
        {
            Assert.That((result.Counts!.Drift, result.Counts.Unjudged, result.Counts.InSync), Is.EqualTo((0, 1, 1)),
                "the row was synced after the listing began: its old value there is not drift");
            Assert.That(await h.ExistingRowAsync(ids[0]), Has.Property(nameof(DnsRecordRow.Status)).EqualTo(RecordStatus.Active).And.Property(nameof(DnsRecordRow.Value)).EqualTo("198.51.100.1"));
        });
    }

    [Test]
    public async Task Change_of_intent_after_the_audit_judged_the_row_wins_over_its_repair()
    {
        var ids = await ActiveRowsAsync(1);
        var pid = await PidAsync(ids[0]);
        await h.EditRemoteAsync(pid, new { content = "203.0.113.66" });
        var store = h.Worker().GetRequiredService<ZoneAuditStore>();
        await h.RequestAuditAsync();
        var claimed = (await store.ClaimAsync(CancellationToken.None))!;
        var listedAt = await store.NowAsync(CancellationToken.None);
        var (rows, marked) = await store.ReadRowsAsync(h.DomainId, [], CancellationToken.None);
        var findings = ZoneClassifier.Classify(new AuditScope(WorkerHarness.Zone, []),
            [new Cloudflare.CloudflareDnsRecord { Id = pid, Type = "A", Name = "host1.example.com", Content = "203.0.113.66", Ttl = 300 }],
            rows, marked, "any", listedAt);
        Assert.That(findings.Count(AuditKind.Drift), Is.EqualTo(1));

        // The api changes the row between the audit's judgement and its write.
        await h.UpdateIntentAsync(ids[0], "198.51.100.2");
        Assert.That(await store.FinishAsync(claimed, findings, new AuditRun(AuditOutcome.Applied, listedAt, 1, 1), listedAt), Is.True);

        var row = await h.ExistingRowAsync(ids[0]);
        Assert.Multiple(async () =>
        {
            Assert.That((row.Value, row.Version, row.LastError), Is.EqualTo(("198.51.100.2", 2L, (string?)null)), "the newer intent stands, without the audit's note");
            Assert.That((await h.AuditAsync(AuditKind.Drift)).Differences!.List.Single().Action, Is.EqualTo(AuditAction.Skipped));
        });
        await h.RunUntilIdleAsync();
        Assert.That(h.Remote().Single(r => r.Id == pid).Content, Is.EqualTo("198.51.100.2"));
    }

    [Test]
    public async Task Plan_lists_each_change_with_before_and_after()
    {
        var ids = await ActiveRowsAsync(3);
        await h.UpdateIntentAsync(ids[0], "198.51.100.1");
        await h.MarkAbsentAsync(ids[1]);
        var created = await h.InsertAsync("TXT", "new", "\"v=1\"");

        var plan = (await h.Plans.GetAsync(h.DomainId, new Api.Infrastructure.Paging(1, 20, null), CancellationToken.None))!;
        var changes = plan.Changes.List.ToDictionary(c => c.RecordId!.Value);
        var pid = await PidAsync(ids[0]);
        Assert.Multiple(async () =>
        {
            Assert.That(plan.Changes.Total, Is.EqualTo(3));
            Assert.That(plan.Changes.List.Select(c => c.RecordId), Is.EqualTo(new long?[] { created, ids[1], ids[0] }), "newest row first");
            Assert.That((changes[created].Action, changes[created].Before, changes[created].After!.Value), Is.EqualTo(("create", (Api.Audits.PlanRecordDto?)null, "\"v=1\"")));
            Assert.That((changes[ids[0]].Action, changes[ids[0]].Before!.Value, changes[ids[0]].After!.Value, changes[ids[0]].After!.ProviderRecordId),
                Is.EqualTo(("update", "192.0.2.1", "198.51.100.1", pid)), "before: what was last applied");
            Assert.That((changes[ids[1]].Action, changes[ids[1]].Before!.Fqdn, changes[ids[1]].After), Is.EqualTo(("delete", "host2.example.com", (Api.Audits.PlanRecordDto?)null)));
            Assert.That(h.Requests(), Has.Count.EqualTo(1), "planning asks the provider nothing");
            Assert.That(await h.ScalarAsync<long>("SELECT COUNT(*) FROM domain_dns_records WHERE status = 'pending'"), Is.EqualTo(3), "and changes nothing");
        });
    }

    [Test]
    public async Task Scheduled_audits_are_spread_over_the_interval_and_off_at_zero()
    {
        for (var i = 0; i < 20; i++)
        {
            await h.ExecuteAsync("""
                INSERT INTO domains (domain, status) VALUES (@Name, 'active');
                INSERT INTO domain_dns_providers (domain_id, provider, provider_zone_id, api_key_id, status) VALUES (LAST_INSERT_ID(), 'cloudflare', @Zone, 1, 'active');
                """, new { Name = $"z{i}.example.net", Zone = $"zone{i}" });
        }
        await h.Worker(configure: s => s["DnsWorker:AuditIntervalSec"] = "0").GetRequiredService<ZoneAuditStore>().ScheduleNewZonesAsync(CancellationToken.None);
        Assert.That(await h.ScalarAsync<long>("SELECT COUNT(*) FROM zone_audits"), Is.Zero, "interval 0: nothing scheduled");

        await h.Worker(configure: s => s["DnsWorker:AuditIntervalSec"] = "300").GetRequiredService<ZoneAuditStore>().ScheduleNewZonesAsync(CancellationToken.None);

        var offsets = (await h.ScalarAsync<string>("SELECT GROUP_CONCAT(TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(6), due_at)) FROM zone_audits"))
            .Split(',').Select(int.Parse).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(offsets, Has.Count.EqualTo(21));
            Assert.That(offsets, Has.All.InRange(-1, 300), "the first audit of each zone within one interval");
            Assert.That(offsets.Distinct().Count(), Is.GreaterThan(10), "not all at once");
        });
    }
}
