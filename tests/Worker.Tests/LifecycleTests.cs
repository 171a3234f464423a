using DnsSync.CloudflareEmulator;
using DnsSync.Shared.Records;
using DnsSync.Worker.Reconciling;
using Microsoft.Extensions.DependencyInjection;

namespace DnsSync.Worker.Tests;

/// <summary>Every path of the record lifecycle in DESIGN.md, against MariaDB and the emulator over HTTP.</summary>
public sealed class LifecycleTests : HarnessTest
{
    [Test]
    public async Task Create_makes_exactly_one_request_and_marks_row_active()
    {
        var id = await h.InsertAsync("A", "www", "192.0.2.10");

        Assert.That(await h.RunPassAsync(), Is.EqualTo(1));

        var row = await h.ExistingRowAsync(id);
        var remote = h.Remote().Single();
        var requests = h.Requests();
        var marker = await h.MarkerAsync(id);
        Assert.Multiple(() =>
        {
            Assert.That(row.Status, Is.EqualTo(RecordStatus.Active));
            Assert.That(row.ProviderRecordId, Is.EqualTo(remote.Id));
            Assert.That(row.LastSyncedAt, Is.Not.Null);
            Assert.That(row.LockedBy, Is.Null);
            Assert.That(remote.Name, Is.EqualTo("www.example.com"));
            Assert.That(remote.Content, Is.EqualTo("192.0.2.10"));
            Assert.That(remote.Ttl, Is.EqualTo(120));
            Assert.That(remote.Comment, Is.EqualTo(marker));
            Assert.That(requests, Has.Count.EqualTo(1));
            Assert.That(requests[0].Method, Is.EqualTo("POST"));
        });
    }

    [Test]
    public async Task Update_patches_the_record_in_place_by_id()
    {
        var id = await h.InsertAsync("A", "www", "192.0.2.10");
        await h.RunPassAsync();
        var remoteId = h.Remote().Single().Id;

        await h.UpdateIntentAsync(id, "192.0.2.20");
        Assert.That(await h.RunPassAsync(), Is.EqualTo(1));

        var row = await h.ExistingRowAsync(id);
        var remote = h.Remote().Single();
        Assert.Multiple(() =>
        {
            Assert.That(row.Status, Is.EqualTo(RecordStatus.Active));
            Assert.That(remote.Id, Is.EqualTo(remoteId));
            Assert.That(remote.Content, Is.EqualTo("192.0.2.20"));
            Assert.That(h.Requests().Select(r => r.Method), Is.EqualTo(new[] { "POST", "PATCH" }));
        });
    }

    [Test]
    public async Task Delete_removes_the_remote_record_then_the_row()
    {
        var id = await h.InsertAsync("TXT", "_acme-challenge", "token-value");
        await h.RunPassAsync();

        await h.MarkAbsentAsync(id);
        Assert.That(await h.RunPassAsync(), Is.EqualTo(1));

        Assert.Multiple(async () =>
        {
            Assert.That(await h.RowAsync(id), Is.Null);
            Assert.That(h.Remote(), Is.Empty);
            Assert.That(h.Requests().Select(r => r.Method), Is.EqualTo(new[] { "POST", "DELETE" }));
        });
    }

    [Test]
    public async Task Delete_of_a_record_already_gone_at_the_provider_counts_as_done()
    {
        var id = await h.InsertAsync("A", "gone", "192.0.2.1", desiredState: "absent",
            providerRecordId: "0123456789abcdef0123456789abcdef", attemptCount: 1);

        await h.RunPassAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(await h.RowAsync(id), Is.Null);
            Assert.That(h.Requests().Single().Status, Is.EqualTo(404));
        });
    }

    [Test]
    public async Task Failure_sets_error_with_provider_code_and_the_seeds_backoff_60_120_240_480_960_then_1800_seconds()
    {
        // The API would refuse this value; a row written by hand reaches the provider and must fail cleanly.
        var id = await h.InsertAsync("A", "bad", "not-an-address");

        await h.AssertBackoffAsync(id, 60, h.RunPassAsync, "retry 1 comes after 60 s, as the seed documents");
        var first = await h.ExistingRowAsync(id);
        Assert.Multiple(() =>
        {
            Assert.That(first.Status, Is.EqualTo(RecordStatus.Error));
            Assert.That(first.RetryCount, Is.EqualTo(1));
            Assert.That(first.LastError, Does.StartWith("cloudflare 400 9005: "));
            Assert.That(first.LockedBy, Is.Null);
        });
        Assert.That(await h.RunPassAsync(), Is.Zero, "not due before next_retry_at");

        int[] schedule = [60, 120, 240, 480, 960, 1800, 1800, 1800, 1800];
        for (var failures = 2; failures <= schedule.Length; failures++)
        {
            await h.MakeDueAsync(id);
            await h.AssertBackoffAsync(id, schedule[failures - 1], h.RunPassAsync, $"retry {failures}");
            Assert.That((await h.ExistingRowAsync(id)).RetryCount, Is.EqualTo(failures));
        }

        await h.MakeDueAsync(id);
        await h.RunPassAsync();
        var last = await h.ExistingRowAsync(id);
        Assert.Multiple(() =>
        {
            Assert.That(last.RetryCount, Is.EqualTo(RetryPolicy.MaxAttempts));
            Assert.That(last.NextRetryAt, Is.Null, "no automatic retry after the tenth failure");
        });
    }

    [Test]
    public async Task Retry_base_and_cap_settings_scale_the_backoff()
    {
        var pass = h.Worker(configure: s =>
        {
            s["DnsWorker:RetryBaseSec"] = "2";
            s["DnsWorker:RetryMaxSec"] = "20";
        }).GetRequiredService<SyncPass>();
        var id = await h.InsertAsync("A", "bad", "not-an-address");

        Task PassAsync() => pass.RunOnceAsync(CancellationToken.None);

        await h.AssertBackoffAsync(id, 4, PassAsync, "2¹ × 2 s");
        await h.ExecuteAsync("UPDATE domain_dns_records SET retry_count = 2 WHERE id = @id", new { id });
        await h.MakeDueAsync(id);
        await h.AssertBackoffAsync(id, 16, PassAsync, "2³ × 2 s");
        await h.ExecuteAsync("UPDATE domain_dns_records SET retry_count = 6 WHERE id = @id", new { id });
        await h.MakeDueAsync(id);
        await h.AssertBackoffAsync(id, 20, PassAsync, "capped at RetryMaxSec");
        Assert.That(RetryPolicy.Backoff(16, 1800), Is.EqualTo(RetryPolicy.MaxBackoff), "never above 30 min whatever the settings");
    }

    [Test]
    public async Task Rate_limited_row_waits_for_retry_after_with_retry_count_unchanged()
    {
        var first = await h.InsertAsync("A", "one", "192.0.2.1");
        h.Emulator.AddFault(new FaultRule { Kind = FaultKind.RateLimit, Method = "POST", Count = 1, RetryAfterSeconds = 2 });

        await h.RunPassAsync();
        var row = await h.ExistingRowAsync(first);
        Assert.Multiple(() =>
        {
            Assert.That(row.Status, Is.EqualTo(RecordStatus.Pending));
            Assert.That(row.RetryCount, Is.Zero);
            Assert.That(row.LastError, Does.Contain("rate limited"));
            Assert.That(row.NextRetryAt, Is.GreaterThan(DateTime.UtcNow.AddSeconds(1)));
        });

        // Another row of the same token: nothing may be sent for the token before Retry-After has passed.
        var second = await h.InsertAsync("A", "two", "192.0.2.2");
        await WorkerHarness.EventuallyAsync(async () =>
        {
            await h.RunPassAsync();
            return (await h.ExistingRowAsync(first)).Status == RecordStatus.Active
                && (await h.ExistingRowAsync(second)).Status == RecordStatus.Active;
        }, "both rows active after Retry-After");

        // The 429's answer left the emulator at Time + DurationMs; Retry-After counts from there.
        var limited = h.Requests().Single(r => r.Status == 429);
        var retryAt = limited.Time.AddMilliseconds(limited.DurationMs).AddSeconds(2);
        var after429 = h.Requests().Where(r => r.Status != 429).ToList();
        Assert.Multiple(async () =>
        {
            Assert.That(after429, Has.Count.InRange(1, 2), "both creates, in one batch or two plain requests");
            Assert.That(after429.Min(r => r.Time), Is.GreaterThanOrEqualTo(retryAt.AddMilliseconds(-50)), "nothing sent inside the Retry-After");
            Assert.That((await h.ExistingRowAsync(first)).RetryCount, Is.Zero);
            Assert.That(h.Remote(), Has.Count.EqualTo(2));
        });
        await h.AssertNoStaleDuplicatesAsync();
    }

    [Test]
    public async Task Absent_row_deleted_before_its_create_was_confirmed_is_looked_up_and_removed()
    {
        // A claim created the record but crashed before the write-back; then the user deleted the row.
        var id = await h.InsertAsync("A", "www", "192.0.2.10", desiredState: "absent", attemptCount: 1);
        await h.CreateRemoteAsync("A", "www.example.com", "192.0.2.10", comment: $"dns-sync:{id}");

        await h.RunPassAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(await h.RowAsync(id), Is.Null);
            Assert.That(h.Remote(), Is.Empty);
        });
    }

    [Test]
    public async Task Absent_row_lookup_spares_records_other_rows_reference()
    {
        var keeper = await h.InsertAsync("A", "www", "192.0.2.10");
        await h.RunPassAsync();
        var keptId = h.Remote().Single().Id;
        // A second (absent) row with the same value whose create may have happened: the remote record is the keeper's.
        var absent = await h.InsertAsync("A", "www", "192.0.2.10", desiredState: "absent", attemptCount: 1);

        await h.RunPassAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(await h.RowAsync(absent), Is.Null);
            Assert.That(h.Remote().Select(r => r.Id), Is.EqualTo(new[] { keptId }));
            Assert.That((await h.ExistingRowAsync(keeper)).ProviderRecordId, Is.EqualTo(keptId));
        });
    }

    [Test]
    public async Task Value_change_of_a_record_whose_create_was_never_confirmed_updates_it_in_place()
    {
        // Crash between create and write-back, then the user changed the value: our marked record is patched, not orphaned.
        var id = await h.InsertAsync("A", "www", "192.0.2.99", attemptCount: 1);
        var orphanId = await h.CreateRemoteAsync("A", "www.example.com", "192.0.2.10", comment: $"dns-sync:{id}");

        await h.RunPassAsync();

        var remote = h.Remote().Single();
        Assert.Multiple(async () =>
        {
            Assert.That(remote.Id, Is.EqualTo(orphanId));
            Assert.That(remote.Content, Is.EqualTo("192.0.2.99"));
            Assert.That((await h.ExistingRowAsync(id)).ProviderRecordId, Is.EqualTo(orphanId));
        });
    }

    [Test]
    public async Task Extra_copies_marked_as_ours_are_deleted()
    {
        var id = await h.InsertAsync("A", "www", "192.0.2.10", attemptCount: 2);
        var first = await h.CreateRemoteAsync("A", "www.example.com", "192.0.2.10", comment: $"dns-sync:{id}");
        await h.CreateRemoteAsync("A", "www.example.com", "192.0.2.11", comment: $"dns-sync:{id}");
        var foreign = await h.CreateRemoteAsync("A", "www.example.com", "192.0.2.12");

        await h.RunPassAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(h.Remote().Select(r => r.Id), Is.EquivalentTo(new[] { first, foreign }));
            Assert.That((await h.ExistingRowAsync(id)).ProviderRecordId, Is.EqualTo(first));
        });
    }

    [Test]
    public async Task Record_deleted_behind_our_back_is_created_anew_on_update()
    {
        var id = await h.InsertAsync("A", "www", "192.0.2.10", providerRecordId: "0123456789abcdef0123456789abcdef", attemptCount: 1);

        await h.RunPassAsync();

        var remote = h.Remote().Single();
        Assert.Multiple(async () =>
        {
            Assert.That(remote.Content, Is.EqualTo("192.0.2.10"));
            Assert.That((await h.ExistingRowAsync(id)).ProviderRecordId, Is.EqualTo(remote.Id));
            Assert.That((await h.ExistingRowAsync(id)).Status, Is.EqualTo(RecordStatus.Active));
        });
    }

    [Test]
    public async Task Identical_record_made_by_hand_is_adopted_not_duplicated()
    {
        var existing = await h.CreateRemoteAsync("TXT", "note.example.com", "hello world");
        var id = await h.InsertAsync("TXT", "note", "hello world");

        await h.RunPassAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(h.Remote().Select(r => r.Id), Is.EqualTo(new[] { existing }));
            Assert.That((await h.ExistingRowAsync(id)).ProviderRecordId, Is.EqualTo(existing));
            Assert.That((await h.ExistingRowAsync(id)).Status, Is.EqualTo(RecordStatus.Active));
        });
    }

    [Test]
    public async Task Cname_where_an_A_exists_fails_with_error_naming_the_conflicting_record()
    {
        var a = await h.CreateRemoteAsync("A", "www.example.com", "192.0.2.10");
        var id = await h.InsertAsync("CNAME", "www", "target.example.net");

        await h.RunPassAsync();

        var row = await h.ExistingRowAsync(id);
        Assert.Multiple(() =>
        {
            Assert.That(row.Status, Is.EqualTo(RecordStatus.Error));
            Assert.That(row.LastError, Does.Contain("81053"));
            Assert.That(row.LastError, Does.Contain($"A www.example.com 192.0.2.10 (id {a})"));
        });
    }

    [Test]
    public async Task A_where_a_cname_exists_fails_with_error_naming_the_conflicting_record()
    {
        var cname = await h.CreateRemoteAsync("CNAME", "www.example.com", "target.example.net");
        var id = await h.InsertAsync("A", "www", "192.0.2.10");

        await h.RunPassAsync();

        var row = await h.ExistingRowAsync(id);
        Assert.Multiple(() =>
        {
            Assert.That(row.LastError, Does.Contain("81054"));
            Assert.That(row.LastError, Does.Contain($"CNAME www.example.com target.example.net (id {cname})"));
        });
    }

    [Test]
    public async Task Deletions_run_before_creations_in_a_zone_so_a_cname_can_replace_an_a()
    {
        var a = await h.InsertAsync("A", "www", "192.0.2.10");
        await h.RunPassAsync();
        var cname = await h.InsertAsync("CNAME", "www", "target.example.net");
        await h.MarkAbsentAsync(a);

        Assert.That(await h.RunPassAsync(), Is.EqualTo(2));

        Assert.Multiple(async () =>
        {
            Assert.That(await h.RowAsync(a), Is.Null);
            Assert.That((await h.ExistingRowAsync(cname)).Status, Is.EqualTo(RecordStatus.Active));
            Assert.That(h.Remote().Single().Type, Is.EqualTo("CNAME"));
        });
    }

    [Test]
    public async Task Row_without_provider_binding_waits_with_a_reason_and_spends_no_retry()
    {
        await h.ExecuteAsync("INSERT INTO domains (domain, status) VALUES ('unbound.example', 'active')");
        var id = await h.ScalarAsync<long>("""
            INSERT INTO domain_dns_records (domain_id, type, name, value) VALUES (2, 'A', 'www', '192.0.2.1');
            SELECT LAST_INSERT_ID();
            """);

        await h.AssertBackoffAsync(id, 30, h.RunPassAsync, "looked at again after DnsWorker:TargetRecheckSec");

        var row = await h.ExistingRowAsync(id);
        Assert.Multiple(() =>
        {
            Assert.That(row.Status, Is.EqualTo(RecordStatus.Pending));
            Assert.That(row.LastError, Is.EqualTo("waiting: domain unbound.example has no DNS provider binding"));
            Assert.That(row.RetryCount, Is.Zero);
            Assert.That(row.AttemptCount, Is.Zero, "no provider call was made");
            Assert.That(h.Requests(), Is.Empty);
        });
    }

    [Test]
    public async Task Absent_row_sharing_its_remote_record_with_a_present_row_leaves_the_record()
    {
        var present = await h.InsertAsync("A", "www", "192.0.2.10");
        await h.RunPassAsync();
        var remoteId = h.Remote().Single().Id;
        // Seed data can hold two rows pointing at one remote record; deleting one must not break the other.
        var absent = await h.InsertAsync("A", "www", "192.0.2.10", desiredState: "absent", providerRecordId: remoteId, attemptCount: 1);

        await h.RunPassAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(await h.RowAsync(absent), Is.Null);
            Assert.That(h.Remote().Single().Id, Is.EqualTo(remoteId));
            Assert.That((await h.ExistingRowAsync(present)).Status, Is.EqualTo(RecordStatus.Active));
        });
    }

    [Test]
    public async Task Not_found_route_from_a_wrong_base_url_is_not_taken_for_a_deleted_record()
    {
        var id = await h.InsertAsync("A", "www", "192.0.2.10", desiredState: "absent",
            providerRecordId: "0123456789abcdef0123456789abcdef", attemptCount: 1);
        h.Settings["Cloudflare:BaseUrl"] = h.Emulator.BaseUrl + "wrong/path";

        await h.RunPassAsync();

        var row = await h.ExistingRowAsync(id);
        Assert.Multiple(() =>
        {
            Assert.That(row.Status, Is.EqualTo(RecordStatus.Error));
            Assert.That(row.LastError, Does.StartWith("cloudflare 404 7000"));
        });
    }
}
