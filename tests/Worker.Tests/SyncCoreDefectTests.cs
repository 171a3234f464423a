using System.Net;
using System.Net.Sockets;
using DnsSync.CloudflareEmulator;
using DnsSync.Shared.Records;
using DnsSync.Worker.Reconciling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DnsSync.Worker.Tests;

/// <summary>
/// Regression tests for the sequences a review of the sync core found (each failed before its fix). Intent changes go
/// through the api's own SQL (<see cref="WorkerHarness.Api"/>), the provider is the emulator over HTTP.
/// </summary>
public sealed class SyncCoreDefectTests : HarnessTest
{
    // 1. A released error row is never due again.

    [TestCase(false, TestName = "Error_row_updated_while_claimed_then_released_at_shutdown_is_due_again_and_gets_the_new_value")]
    [TestCase(true, TestName = "Error_row_deleted_while_claimed_then_released_at_shutdown_is_due_again_and_its_record_is_deleted")]
    public async Task Error_row_changed_while_claimed_then_released_is_due_again(bool delete)
    {
        var id = await ActiveThenFailedPatchAsync("192.0.2.10", "192.0.2.20");
        await h.ExecuteAsync("UPDATE domain_dns_records SET retry_count = 3 WHERE id = @id", new { id });
        await h.MakeDueAsync(id);

        // The retry's PATCH hangs; meanwhile the user changes the intent, then the worker shuts down mid-call.
        h.Emulator.AddFault(new FaultRule { Kind = FaultKind.Hang, Method = "PATCH", Count = 1, HangMs = 10_000 });
        using var abort = new CancellationTokenSource();
        var pass = h.Pass.RunOnceAsync(CancellationToken.None, abort.Token);
        // The request log is written when a request ends; the used-up rule shows the PATCH is in flight now.
        await WorkerHarness.EventuallyAsync(() => Task.FromResult(h.Emulator.Faults.Count == 0), "the retry's PATCH is held by the provider");
        if (delete) await h.MarkAbsentAsync(id);
        else await h.UpdateIntentAsync(id, "192.0.2.30");
        await abort.CancelAsync();
        await pass;

        var released = await h.ExistingRowAsync(id);
        Assert.That((released.LockedBy, released.RetryCount), Is.EqualTo(((string?)null, 0)), "released mid-call, no outcome written");
        await h.RunUntilIdleAsync();

        if (delete)
        {
            Assert.Multiple(async () =>
            {
                Assert.That(await h.RowAsync(id), Is.Null, "the deleted row was applied and removed");
                Assert.That(h.Remote(), Is.Empty, "its provider record was deleted");
            });
        }
        else
        {
            var row = await h.ExistingRowAsync(id);
            Assert.Multiple(() =>
            {
                Assert.That(row.Status, Is.EqualTo(RecordStatus.Active));
                Assert.That(h.Remote().Single().Content, Is.EqualTo("192.0.2.30"), "the new intent reached the provider");
            });
        }
        await h.AssertNoStaleDuplicatesAsync();
    }

    // 2. Waiting for the request budget ends as a "timeout" failure.

    [Test]
    public async Task Spent_request_budget_defers_rows_without_a_retry_and_all_become_active_once_the_window_reopens()
    {
        await using var limited = await WorkerHarness.StartAsync(new EmulatorOptions { RateLimitRequests = 5, RateLimitWindow = TimeSpan.FromSeconds(6) });
        var pass = limited.Worker(configure: s =>
        {
            s["Cloudflare:RequestsPerWindow"] = "5";
            s["Cloudflare:WindowSec"] = "6";
            // Shorter than the window: waiting for budget inside a request would end as a timeout.
            s["Cloudflare:TimeoutSec"] = "2";
            s["DnsWorker:LeaseSec"] = "6";
            // One change per request, so fifteen rows need fifteen requests.
            s["Cloudflare:BatchLimit"] = "1";
        }).GetRequiredService<SyncPass>();
        var ids = new List<long>();
        for (var i = 1; i <= 15; i++) ids.Add(await limited.InsertAsync("A", $"host{i}", $"192.0.2.{i}"));

        await pass.RunOnceAsync(CancellationToken.None);
        var deferred = (await Task.WhenAll(ids.Select(limited.ExistingRowAsync))).Where(r => r.Status == RecordStatus.Pending).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(limited.Requests("POST"), Has.Count.EqualTo(5), "the budget's five requests were sent");
            Assert.That(limited.Remote(), Has.Count.EqualTo(5));
            Assert.That(deferred, Has.Count.EqualTo(10), "the rest wait");
            Assert.That(deferred.Select(r => r.LastError), Has.All.Contains("waiting for the request budget of this API token"));
            Assert.That(deferred.Select(r => r.AttemptCount), Has.All.Zero, "nothing was sent for them");
        });

        var maxRetry = 0;
        await WorkerHarness.EventuallyAsync(async () =>
        {
            await pass.RunOnceAsync(CancellationToken.None);
            maxRetry = Math.Max(maxRetry, await limited.ScalarAsync<int>("SELECT MAX(retry_count) FROM domain_dns_records"));
            return await limited.ScalarAsync<long>("SELECT COUNT(*) FROM domain_dns_records WHERE status = 'active'") == ids.Count;
        }, "all 15 records active", seconds: 60);

        Assert.Multiple(() =>
        {
            Assert.That(maxRetry, Is.Zero, "waiting for budget never counts as a failure");
            Assert.That(limited.Requests().Count(r => r.Status == 429), Is.Zero, "the worker kept under the provider's limit");
            Assert.That(limited.Remote(), Has.Count.EqualTo(15));
        });
    }

    // 3. "Changed since last sync" trusts two timestamps.

    [Test]
    public async Task Update_committed_with_an_earlier_timestamp_than_the_last_sync_still_reaches_the_provider()
    {
        var id = await h.InsertAsync("A", "www", "192.0.2.10");
        await h.RunPassAsync();
        await h.UpdateIntentAsync(id, "192.0.2.20");
        // The update waited on the row lock while the worker's write-back committed: its updated_at (taken when the
        // statement began) is earlier than last_synced_at. A clock step back looks the same.
        await h.ExecuteAsync("UPDATE domain_dns_records SET last_synced_at = updated_at + INTERVAL 1 SECOND WHERE id = @id", new { id });

        await h.RunUntilIdleAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(h.Remote().Single().Content, Is.EqualTo("192.0.2.20"));
            var row = await h.ExistingRowAsync(id);
            Assert.That(row.SyncedVersion, Is.EqualTo(row.Version), "the applied version is recorded");
        });
        await h.AssertNoStaleDuplicatesAsync();
    }

    // 4. A 2xx answer without a usable record counts as a refusal.

    [TestCase(false, TestName = "Create_applied_but_answered_200_without_a_usable_record_then_updated_leaves_one_record")]
    [TestCase(true, TestName = "Create_applied_but_answered_200_without_a_usable_record_then_deleted_leaves_no_orphan")]
    public async Task Create_answered_200_without_a_usable_record(bool delete)
    {
        var id = await h.InsertAsync("A", "www", "192.0.2.10");
        h.Emulator.AddFault(new FaultRule { Kind = FaultKind.ApplyThenTruncated200, Method = "POST", Count = 1 });
        await h.RunPassAsync();
        Assert.That(h.Remote(), Has.Count.EqualTo(1), "the emulator applied the create");
        Assert.That((await h.ExistingRowAsync(id)).AttemptCount, Is.EqualTo(1), "the attempt stays counted: a record may exist");

        if (delete) await h.MarkAbsentAsync(id);
        else await h.UpdateIntentAsync(id, "192.0.2.20");
        await h.RunUntilIdleAsync();

        if (delete)
        {
            Assert.Multiple(async () =>
            {
                Assert.That(await h.RowAsync(id), Is.Null);
                Assert.That(h.Remote(), Is.Empty, "the record the truncated answer hid was found and deleted");
            });
        }
        else
        {
            Assert.Multiple(() =>
            {
                Assert.That(h.Remote().Select(r => r.Content), Is.EqualTo(new[] { "192.0.2.20" }), "updated in place, not posted again");
                Assert.That(h.Requests("POST"), Has.Count.EqualTo(1));
            });
        }
        await h.AssertNoStaleDuplicatesAsync();
    }

    // 5. An interrupted cleanup of several copies forgets the rest.

    [Test]
    public async Task Cleanup_of_extra_copies_cut_short_by_a_429_deletes_the_rest_on_the_next_attempt()
    {
        var id = await h.InsertAsync("A", "www", "192.0.2.10", attemptCount: 1);
        var marker = await h.MarkerAsync(id);
        foreach (var content in new[] { "192.0.2.10", "192.0.2.11", "192.0.2.12" })
            await h.CreateRemoteAsync("A", "www", content, comment: marker);
        h.Emulator.AddFault(new FaultRule { Kind = FaultKind.RateLimit, Method = "DELETE", Count = 1, RetryAfterSeconds = 1 });

        await h.RunPassAsync();
        var cut = await h.ExistingRowAsync(id);
        Assert.Multiple(() =>
        {
            Assert.That(cut.ProviderRecordId, Is.Null, "no id is saved while copies remain");
            Assert.That(cut.RetryCount, Is.Zero);
            Assert.That(h.Remote(), Has.Count.EqualTo(3), "the 429 deleted nothing");
        });

        await h.RunUntilAsync(async () => (await h.ExistingRowAsync(id)).Status == RecordStatus.Active, "the row active after the Retry-After");

        var row = await h.ExistingRowAsync(id);
        Assert.Multiple(() =>
        {
            Assert.That(h.Remote().Select(r => r.Content), Is.EqualTo(new[] { "192.0.2.10" }), "both extra copies are gone");
            Assert.That(row.ProviderRecordId, Is.EqualTo(h.Remote().Single().Id));
        });
        await h.AssertNoStaleDuplicatesAsync();
    }

    [Test]
    public async Task Deleting_several_lost_copies_cut_short_by_a_429_deletes_the_rest_on_the_next_attempt()
    {
        var id = await h.InsertAsync("A", "www", "192.0.2.10", desiredState: "absent", attemptCount: 1);
        var marker = await h.MarkerAsync(id);
        foreach (var content in new[] { "192.0.2.10", "192.0.2.11", "192.0.2.12" })
            await h.CreateRemoteAsync("A", "www", content, comment: marker);
        h.Emulator.AddFault(new FaultRule { Kind = FaultKind.RateLimit, Method = "DELETE", Count = 1, RetryAfterSeconds = 1 });

        await h.RunPassAsync();
        Assert.That((await h.ExistingRowAsync(id)).ProviderRecordId, Is.Null, "no single victim's id stands for all three");

        await h.RunUntilAsync(async () => await h.RowAsync(id) is null, "the row removed after the Retry-After");

        Assert.Multiple(() =>
        {
            Assert.That(h.Remote(), Is.Empty, "no copy was forgotten");
        });
        await h.AssertNoStaleDuplicatesAsync();
    }

    // 6. The exception path has no backoff.

    [Test]
    public async Task Write_back_error_that_recurs_backs_off_as_a_failure_instead_of_spinning()
    {
        var id = await h.InsertAsync("A", "www", "192.0.2.10");
        // A write-back that always fails (a bug, a schema drift): every attempt to mark the row active is refused.
        await h.ExecuteAsync("""
            CREATE TRIGGER refuse_active BEFORE UPDATE ON domain_dns_records FOR EACH ROW
            BEGIN
              IF NEW.status = 'active' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'write-back refused by test'; END IF;
            END
            """);

        await h.AssertBackoffAsync(id, 60, h.RunPassAsync, "the seed's first backoff");
        Assert.That(await h.RunPassAsync(), Is.Zero, "not due again at once");

        var row = await h.ExistingRowAsync(id);
        Assert.Multiple(() =>
        {
            Assert.That(row.Status, Is.EqualTo(RecordStatus.Error));
            Assert.That(row.RetryCount, Is.EqualTo(1));
            Assert.That(row.LastError, Does.StartWith("internal error: MySqlException: write-back refused by test"));
            Assert.That(row.ProviderRecordId, Is.EqualTo(h.Remote().Single().Id), "the created record's id is kept");
            Assert.That(h.Requests(), Has.Count.EqualTo(1), "one provider call, no spin");
        });
    }

    // 7. Disabled targets.

    [TestCase("UPDATE domains SET status = 'inactive' WHERE id = 1", "UPDATE domains SET status = 'active' WHERE id = 1",
        "waiting: domain example.com is inactive", TestName = "Rows_of_an_inactive_domain_wait_without_a_retry_and_resume_once_it_is_active")]
    [TestCase("UPDATE domain_dns_providers SET status = 'inactive' WHERE id = 1", "UPDATE domain_dns_providers SET status = 'active' WHERE id = 1",
        "waiting: the provider binding of domain example.com is inactive", TestName = "Rows_of_an_inactive_binding_wait_without_a_retry_and_resume_once_it_is_active")]
    [TestCase("UPDATE api_keys SET status = 'inactive' WHERE id = 1", "UPDATE api_keys SET status = 'active' WHERE id = 1",
        "waiting: api key 1 of domain example.com is inactive", TestName = "Rows_of_an_inactive_api_key_wait_without_a_retry_and_resume_once_it_is_active")]
    public async Task Rows_of_an_inactive_target_wait_and_resume(string disable, string enable, string reason)
    {
        var pass = h.Worker(configure: s => s["DnsWorker:TargetRecheckSec"] = "1").GetRequiredService<SyncPass>();
        var synced = await h.InsertAsync("A", "old", "192.0.2.9");
        await pass.RunOnceAsync(CancellationToken.None);
        await h.ExecuteAsync(disable);
        var created = await h.InsertAsync("A", "www", "192.0.2.10");
        await h.MarkAbsentAsync(synced);
        var before = h.Requests().Count;

        for (var i = 0; i < 3; i++)
        {
            await pass.RunOnceAsync(CancellationToken.None);
            foreach (var id in new[] { created, synced }) await h.MakeDueAsync(id);
        }
        var waiting = await Task.WhenAll(new[] { created, synced }.Select(h.ExistingRowAsync));
        Assert.Multiple(() =>
        {
            Assert.That(h.Requests(), Has.Count.EqualTo(before), "nothing is sent for a disabled target");
            Assert.That(waiting.Select(r => r.Status), Has.All.EqualTo(RecordStatus.Pending));
            Assert.That(waiting.Select(r => r.RetryCount), Has.All.Zero, "no retry spent");
            Assert.That(waiting.Select(r => r.LastError), Has.All.EqualTo(reason));
        });

        await h.ExecuteAsync(enable);
        await WorkerHarness.EventuallyAsync(async () =>
        {
            await pass.RunOnceAsync(CancellationToken.None);
            return await h.RowAsync(synced) is null && (await h.ExistingRowAsync(created)).Status == RecordStatus.Active;
        }, "both rows applied once the target is active again", seconds: 15);
        Assert.That(h.Remote().Select(r => r.Content), Is.EqualTo(new[] { "192.0.2.10" }));
    }

    // 8. The ownership marker has no namespace.

    [Test]
    public async Task Two_installations_declaring_one_record_in_a_zone_leave_the_firsts_record_alone_also_when_the_second_deletes_its_row()
    {
        await using var staging = await h.StartSecondInstallationAsync();
        var production = await h.InsertAsync("A", "www", "192.0.2.10");
        await h.RunPassAsync();
        var record = h.Remote().Single();
        Assert.That(record.Comment, Is.EqualTo(await h.MarkerAsync(production)));

        // Same row id in the other database, same record: the marker's installation part tells them apart.
        var duplicate = await staging.InsertAsync("A", "www", "192.0.2.10");
        Assert.That(duplicate, Is.EqualTo(production), "both databases use row id 1");
        await staging.RunPassAsync();
        var refused = await staging.ExistingRowAsync(duplicate);
        Assert.Multiple(() =>
        {
            Assert.That(refused.Status, Is.EqualTo(RecordStatus.Error));
            Assert.That(refused.ProviderRecordId, Is.Null, "not adopted");
            Assert.That(refused.LastError, Does.Contain("81058").And.Contain("another dns-sync row's or installation's").And.Contain(record.Comment!));
        });

        await staging.MarkAbsentAsync(duplicate);
        await staging.RunUntilIdleAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(await staging.RowAsync(duplicate), Is.Null);
            Assert.That(h.Remote().Single(), Is.EqualTo(record), "the first installation's record is untouched");
            Assert.That((await h.ExistingRowAsync(production)).Status, Is.EqualTo(RecordStatus.Active));
        });
    }

    [Test]
    public async Task Record_marked_for_a_row_of_another_domain_in_the_same_zone_is_never_adopted_or_deleted()
    {
        // example.com and sub.example.com bound to one Cloudflare zone: www.sub.example.com can be declared by either.
        await h.ExecuteAsync("""
            INSERT INTO domains (domain, status) VALUES ('sub.example.com', 'active');
            INSERT INTO domain_dns_providers (domain_id, provider, provider_zone_id, api_key_id, status) VALUES (2, 'cloudflare', @ZoneId, 1, 'active');
            """, new { h.ZoneId });
        var parent = await h.InsertAsync("A", "www.sub", "192.0.2.10");
        await h.RunPassAsync();
        var record = h.Remote().Single();
        var child = await h.ScalarAsync<long>("""
            INSERT INTO domain_dns_records (domain_id, type, name, value) VALUES (2, 'A', 'www', '192.0.2.10'); SELECT LAST_INSERT_ID();
            """);

        await h.RunPassAsync();
        Assert.That((await h.ExistingRowAsync(child)).ProviderRecordId, Is.Null, "the other row's record is not adopted");
        await h.MarkAbsentAsync(child);
        await h.RunUntilIdleAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(await h.RowAsync(child), Is.Null);
            Assert.That(h.Remote().Single(), Is.EqualTo(record), $"row {parent}'s record is still there");
            Assert.That((await h.ExistingRowAsync(parent)).ProviderRecordId, Is.EqualTo(record.Id));
        });
    }

    [Test]
    public async Task Record_with_the_first_releases_marker_is_still_found_as_the_rows_own()
    {
        var id = await h.InsertAsync("A", "www", "192.0.2.10", attemptCount: 1);
        var remoteId = await h.CreateRemoteAsync("A", "www", "192.0.2.10", comment: $"dns-sync:{id}");

        await h.RunPassAsync();

        Assert.Multiple(async () =>
        {
            Assert.That((await h.ExistingRowAsync(id)).ProviderRecordId, Is.EqualTo(remoteId), "adopted, not created twice");
            Assert.That(h.Requests("POST"), Has.Count.EqualTo(1), "only the POST that made the record by hand");
        });
    }

    [Test]
    public void Ownership_markers_name_installation_and_row()
    {
        Assert.Multiple(() =>
        {
            Assert.That(OwnershipMarker.For("abc", 7), Is.EqualTo("dns-sync:abc:7"));
            Assert.That(OwnershipMarker.IsOwnedBy("dns-sync:abc:7", "abc", 7), Is.True);
            Assert.That(OwnershipMarker.IsOwnedBy("dns-sync:7", "abc", 7), Is.True, "the first release's form");
            Assert.That(OwnershipMarker.IsOwnedBy("dns-sync:xyz:7", "abc", 7), Is.False, "another installation");
            Assert.That(OwnershipMarker.IsOwnedBy("dns-sync:abc:8", "abc", 7), Is.False, "another row");
            Assert.That(OwnershipMarker.IsOwnedBy("dns-sync:abc:7x", "abc", 7), Is.False);
            Assert.That(OwnershipMarker.IsMarked("dns-sync:garbage"), Is.True, "malformed markers are still nobody's to take");
            Assert.That(OwnershipMarker.IsMarked("made by hand"), Is.False);
        });
    }

    // 10. Two workers on one host.

    [Test]
    public void Second_worker_on_one_host_names_DnsWorker__MetricsPort_when_the_port_is_taken()
    {
        using var taken = new TcpListener(IPAddress.Any, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        using var host = h.Host(s => s["DnsWorker:MetricsPort"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var error = Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.That(error!.Message, Does.Contain("DnsWorker__MetricsPort").And.Contain(port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>A synced record whose value change then failed at the provider (5xx): error, retry 1, with its id.</summary>
    private async Task<long> ActiveThenFailedPatchAsync(string value, string changed)
    {
        var id = await h.InsertAsync("A", "www", value);
        await h.RunPassAsync();
        await h.UpdateIntentAsync(id, changed);
        h.Emulator.AddFault(new FaultRule { Kind = FaultKind.ServerError, Method = "PATCH", Count = 1, StatusCode = 503 });
        await h.RunPassAsync();
        var row = await h.ExistingRowAsync(id);
        Assert.That((row.Status, row.RetryCount, row.ProviderRecordId), Is.EqualTo((RecordStatus.Error, 1, h.Remote().Single().Id)));
        return id;
    }
}
