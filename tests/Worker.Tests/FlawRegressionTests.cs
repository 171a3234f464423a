using DnsSync.CloudflareEmulator;
using DnsSync.Shared.Records;

namespace DnsSync.Worker.Tests;

/// <summary>One regression test (at least) per flaw of the Go system listed in DESIGN.md.</summary>
public sealed class FlawRegressionTests : HarnessTest
{
    [Test]
    public async Task Flaw01_row_left_running_by_a_crashed_worker_is_reclaimed_when_its_lease_expires()
    {
        // The dead worker had created the record but never wrote back.
        var stale = await h.InsertAsync("A", "www", "192.0.2.10", status: "running", attemptCount: 1);
        await h.ExecuteAsync("UPDATE domain_dns_records SET locked_by = 'dead-worker', locked_until = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE id = @stale", new { stale });
        var created = await h.CreateRemoteAsync("A", "www.example.com", "192.0.2.10", comment: $"dns-sync:{stale}");
        var live = await h.InsertAsync("A", "live", "192.0.2.11", status: "running", attemptCount: 1);
        await h.ExecuteAsync("UPDATE domain_dns_records SET locked_by = 'other-worker', locked_until = UTC_TIMESTAMP(6) + INTERVAL 60 SECOND WHERE id = @live", new { live });

        Assert.That(await h.RunPassAsync(), Is.EqualTo(1), "only the expired lease is claimed");

        var row = await h.ExistingRowAsync(stale);
        Assert.Multiple(async () =>
        {
            Assert.That(row.Status, Is.EqualTo(RecordStatus.Active));
            Assert.That(row.ProviderRecordId, Is.EqualTo(created), "the record the dead worker made is adopted");
            Assert.That(h.Remote(), Has.Count.EqualTo(1), "no duplicate");
            Assert.That((await h.ExistingRowAsync(live)).LockedBy, Is.EqualTo("other-worker"));
        });
    }

    [Test]
    public async Task Flaw02_after_ten_failures_a_row_is_never_claimed_again_until_retried()
    {
        var id = await h.InsertAsync("A", "bad", "not-an-address", retryCount: 9);
        var exhausted = await h.InsertAsync("A", "bad2", "not-an-address", status: "error", retryCount: 10);
        await h.ExecuteAsync("UPDATE domain_dns_records SET next_retry_at = UTC_TIMESTAMP(6) - INTERVAL 1 HOUR WHERE id = @exhausted", new { exhausted });

        Assert.That(await h.RunPassAsync(), Is.EqualTo(1));
        var row = await h.ExistingRowAsync(id);
        Assert.Multiple(() =>
        {
            Assert.That(row.Status, Is.EqualTo(RecordStatus.Error));
            Assert.That(row.RetryCount, Is.EqualTo(10));
            Assert.That(row.NextRetryAt, Is.Null);
        });

        for (var i = 0; i < 3; i++) Assert.That(await h.RunPassAsync(), Is.Zero);
        Assert.That(h.Requests(), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Flaw03_failed_provider_delete_keeps_the_row_in_error_never_an_orphan()
    {
        var id = await h.InsertAsync("A", "www", "192.0.2.10");
        await h.RunPassAsync();
        var remoteId = h.Remote().Single().Id;
        await h.MarkAbsentAsync(id);
        h.Emulator.AddFault(new FaultRule { Kind = FaultKind.ServerError, Method = "DELETE", Count = 1, StatusCode = 503 });

        await h.RunPassAsync();

        var row = await h.ExistingRowAsync(id);
        Assert.Multiple(() =>
        {
            Assert.That(row.Status, Is.EqualTo(RecordStatus.Error));
            Assert.That(row.DesiredState, Is.EqualTo(DesiredState.Absent));
            Assert.That(row.ProviderRecordId, Is.EqualTo(remoteId));
            Assert.That(row.LastError, Does.StartWith("cloudflare 503 503"));
            Assert.That(h.Remote(), Has.Count.EqualTo(1));
        });

        await h.MakeDueAsync(id);
        await h.RunPassAsync();
        Assert.Multiple(async () =>
        {
            Assert.That(await h.RowAsync(id), Is.Null);
            Assert.That(h.Remote(), Is.Empty);
        });
    }

    [Test]
    public async Task Flaw04_absent_row_never_synced_is_removed_without_a_provider_call()
    {
        var id = await h.InsertAsync("A", "www", "192.0.2.10", desiredState: "absent");

        Assert.That(await h.RunPassAsync(), Is.EqualTo(1));

        Assert.Multiple(async () =>
        {
            Assert.That(await h.RowAsync(id), Is.Null);
            Assert.That(h.Requests(), Is.Empty);
        });
    }

    [Test]
    public async Task Flaw05_changing_a_cname_target_updates_the_record_in_place()
    {
        var id = await h.InsertAsync("CNAME", "www", "old-target.example.net");
        await h.RunPassAsync();
        var remoteId = h.Remote().Single().Id;

        await h.UpdateIntentAsync(id, "new-target.example.net");
        await h.RunPassAsync();

        var remote = h.Remote().Single();
        Assert.Multiple(async () =>
        {
            Assert.That(remote.Id, Is.EqualTo(remoteId));
            Assert.That(remote.Content, Is.EqualTo("new-target.example.net"));
            Assert.That((await h.ExistingRowAsync(id)).Status, Is.EqualTo(RecordStatus.Active));
            Assert.That(h.Requests("POST"), Has.Count.EqualTo(1));
        });
    }

    [Test]
    public async Task Flaw06_lost_create_of_a_txt_with_spaces_quotes_plus_and_equals_is_found_again()
    {
        const string value = "\"v=spf1 include:_spf.example.com ip4:192.0.2.0/24 ~all\" \"a+b=c&d\"";
        var id = await h.InsertAsync("TXT", "_spf", value);
        h.Emulator.AddFault(new FaultRule { Kind = FaultKind.ApplyThenDrop, Method = "POST", Count = 1 });

        await h.RunPassAsync();
        Assert.That((await h.ExistingRowAsync(id)).Status, Is.EqualTo(RecordStatus.Error));

        await h.MakeDueAsync(id);
        await h.RunPassAsync();

        var remote = h.Remote().Single();
        Assert.Multiple(async () =>
        {
            Assert.That(remote.Content, Is.EqualTo(value));
            Assert.That((await h.ExistingRowAsync(id)).ProviderRecordId, Is.EqualTo(remote.Id));
            Assert.That(h.Requests("POST"), Has.Count.EqualTo(1), "found by lookup, not created twice");
        });
    }

    [Test]
    public async Task Flaw06_lookups_follow_pagination()
    {
        h.Settings["Cloudflare:ListPageSize"] = "5";
        var id = await h.InsertAsync("A", "www", "192.0.2.200", attemptCount: 1);
        for (var i = 1; i <= 11; i++) await h.CreateRemoteAsync("A", "www.example.com", $"192.0.2.{i}");
        var ours = await h.CreateRemoteAsync("A", "www.example.com", "192.0.2.200", comment: $"dns-sync:{id}");

        await h.RunPassAsync();

        Assert.Multiple(async () =>
        {
            Assert.That((await h.ExistingRowAsync(id)).ProviderRecordId, Is.EqualTo(ours));
            Assert.That(h.Requests("GET"), Has.Count.EqualTo(3), "12 records at 5 per page");
            Assert.That(h.Requests("POST"), Has.Count.EqualTo(12), "only the test's own creates");
        });
    }

    [Test]
    public async Task Flaw07_proxied_record_is_not_updated_again_when_claimed_without_a_change()
    {
        var id = await h.InsertAsync("A", "www", "192.0.2.10", ttl: 300, proxied: true);
        await h.RunPassAsync();
        Assert.That(h.Remote().Single().Ttl, Is.EqualTo(1), "Cloudflare reports TTL 1 for proxied records");

        for (var i = 0; i < 3; i++)
        {
            // Requeued without a change of intent (as an operator or a lease takeover would leave it).
            await h.ExecuteAsync("UPDATE domain_dns_records SET status = 'pending' WHERE id = @id", new { id });
            Assert.That(await h.RunPassAsync(), Is.EqualTo(1));
        }

        Assert.Multiple(async () =>
        {
            Assert.That(h.Requests().Select(r => r.Method), Is.EqualTo(new[] { "POST" }));
            Assert.That((await h.ExistingRowAsync(id)).Status, Is.EqualTo(RecordStatus.Active));
        });
    }

    [Test]
    public async Task Flaw08_stored_names_are_expanded_to_fqdns_exactly_once()
    {
        await h.InsertAsync("A", "@", "192.0.2.1");
        await h.InsertAsync("A", "www", "192.0.2.2");
        await h.InsertAsync("A", "a.b", "192.0.2.3");
        await h.InsertAsync("A", "legacy.example.com", "192.0.2.4");

        await h.RunUntilIdleAsync();

        Assert.That(h.Remote().Select(r => r.Name),
            Is.EquivalentTo(new[] { "example.com", "www.example.com", "a.b.example.com", "legacy.example.com" }));
    }

    [Test]
    public async Task Flaw09_invalid_ttl_or_unbound_domain_ends_in_error_not_pending_forever()
    {
        var badTtl = await h.InsertAsync("A", "www", "192.0.2.1", ttl: 5);
        await h.ExecuteAsync("UPDATE domain_dns_providers SET status = 'inactive' WHERE id = 1");
        var unbound = await h.InsertAsync("A", "api", "192.0.2.2");

        await h.RunUntilIdleAsync();
        Assert.That((await h.ExistingRowAsync(unbound)).LastError, Does.Contain("binding of domain example.com is inactive"));

        await h.ExecuteAsync("UPDATE domain_dns_providers SET status = 'active' WHERE id = 1");
        await h.MakeDueAsync(badTtl);
        await h.RunPassAsync();
        var row = await h.ExistingRowAsync(badTtl);
        Assert.Multiple(() =>
        {
            Assert.That(row.Status, Is.EqualTo(RecordStatus.Error));
            Assert.That(row.LastError, Does.StartWith("cloudflare 400 9021"));
        });
    }

    [Test]
    public async Task Flaw10_row_reset_by_retry_is_claimed_and_synced_again()
    {
        var id = await h.InsertAsync("A", "www", "192.0.2.10", status: "error", retryCount: 10);
        Assert.That(await h.RunPassAsync(), Is.Zero);

        await h.RetryAsync(id);
        Assert.That(await h.RunPassAsync(), Is.EqualTo(1));

        Assert.That((await h.ExistingRowAsync(id)).Status, Is.EqualTo(RecordStatus.Active));
    }

    [Test]
    public async Task Flaw11_value_changed_during_a_sync_wins_over_the_stale_outcome()
    {
        var id = await h.InsertAsync("A", "www", "192.0.2.10");
        h.Emulator.AddFault(new FaultRule { Kind = FaultKind.Latency, Method = "POST", Count = 1, LatencyMs = 1500 });

        var pass = h.RunPassAsync();
        await WorkerHarness.EventuallyAsync(async () => (await h.ExistingRowAsync(id)).Status == RecordStatus.Running, "row claimed");
        await h.UpdateIntentAsync(id, "192.0.2.20");
        await pass;

        var afterRace = await h.ExistingRowAsync(id);
        Assert.Multiple(() =>
        {
            Assert.That(afterRace.Status, Is.EqualTo(RecordStatus.Pending), "never a stale active");
            Assert.That(afterRace.ProviderRecordId, Is.EqualTo(h.Remote().Single().Id), "what exists remotely is kept");
            Assert.That(afterRace.LockedBy, Is.Null);
        });

        await h.RunPassAsync();
        var remote = h.Remote().Single();
        Assert.Multiple(async () =>
        {
            Assert.That(remote.Content, Is.EqualTo("192.0.2.20"));
            Assert.That((await h.ExistingRowAsync(id)).Status, Is.EqualTo(RecordStatus.Active));
        });
    }

    [Test]
    public async Task Flaw11_delete_requested_during_a_create_removes_the_new_record()
    {
        var id = await h.InsertAsync("A", "www", "192.0.2.10");
        h.Emulator.AddFault(new FaultRule { Kind = FaultKind.Latency, Method = "POST", Count = 1, LatencyMs = 1500 });

        var pass = h.RunPassAsync();
        await WorkerHarness.EventuallyAsync(async () => (await h.ExistingRowAsync(id)).Status == RecordStatus.Running, "row claimed");
        await h.MarkAbsentAsync(id);
        await pass;
        await h.RunPassAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(await h.RowAsync(id), Is.Null);
            Assert.That(h.Remote(), Is.Empty);
        });
    }
}
