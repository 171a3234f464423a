using DnsSync.CloudflareEmulator;
using DnsSync.Shared.Records;

namespace DnsSync.Worker.Tests;

/// <summary>Provider faults on create: whatever the provider did, exactly one record exists after convergence.</summary>
public sealed class FaultTests : HarnessTest
{
    [TestCase(FaultKind.ApplyThenFail500)]
    [TestCase(FaultKind.ApplyThenDrop)]
    public async Task Create_applied_but_answered_with_failure_leaves_exactly_one_record(FaultKind kind)
    {
        var id = await h.InsertAsync("A", "www", "192.0.2.10");
        h.Emulator.AddFault(new FaultRule { Kind = kind, Method = "POST", Count = 1 });

        await h.RunPassAsync();
        var failed = await h.ExistingRowAsync(id);
        Assert.Multiple(() =>
        {
            Assert.That(failed.Status, Is.EqualTo(RecordStatus.Error));
            Assert.That(failed.AttemptCount, Is.EqualTo(1), "the create may have been applied");
            Assert.That(h.Remote(), Has.Count.EqualTo(1));
        });

        await h.MakeDueAsync(id);
        await h.RunPassAsync();

        var row = await h.ExistingRowAsync(id);
        Assert.Multiple(() =>
        {
            Assert.That(h.Remote(), Has.Count.EqualTo(1));
            Assert.That(row.Status, Is.EqualTo(RecordStatus.Active));
            Assert.That(row.ProviderRecordId, Is.EqualTo(h.Remote().Single().Id));
            Assert.That(h.Requests("POST"), Has.Count.EqualTo(1));
        });
        await h.AssertNoStaleDuplicatesAsync();
    }

    [Test]
    public async Task Create_hanging_past_the_timeout_leaves_exactly_one_record()
    {
        h.Settings["Cloudflare:TimeoutSec"] = "1";
        h.Settings["DnsWorker:LeaseSec"] = "10";
        var id = await h.InsertAsync("A", "www", "192.0.2.10");
        h.Emulator.AddFault(new FaultRule { Kind = FaultKind.Hang, Method = "POST", Count = 1, HangMs = 5000 });

        await h.RunPassAsync();
        var failed = await h.ExistingRowAsync(id);
        Assert.That(failed.LastError, Does.Contain("timeout"));

        await h.MakeDueAsync(id);
        await h.RunPassAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(h.Remote(), Has.Count.EqualTo(1));
            Assert.That((await h.ExistingRowAsync(id)).Status, Is.EqualTo(RecordStatus.Active));
            Assert.That(h.Requests().Select(r => r.Method), Is.EqualTo(new[] { "POST", "GET", "POST" }), "looked up before the second create");
        });
        await h.AssertNoStaleDuplicatesAsync();
    }

    [Test]
    public async Task Create_refused_with_a_server_error_is_retried_without_duplicates()
    {
        var id = await h.InsertAsync("A", "www", "192.0.2.10");
        h.Emulator.AddFault(new FaultRule { Kind = FaultKind.ServerError, Method = "POST", Count = 1, StatusCode = 502 });

        await h.RunPassAsync();
        Assert.That((await h.ExistingRowAsync(id)).LastError, Does.StartWith("cloudflare 502"));
        await h.MakeDueAsync(id);
        await h.RunPassAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(h.Remote(), Has.Count.EqualTo(1));
            Assert.That((await h.ExistingRowAsync(id)).Status, Is.EqualTo(RecordStatus.Active));
        });
        await h.AssertNoStaleDuplicatesAsync();
    }

    [Test]
    public async Task Update_answered_500_after_it_was_applied_leaves_no_second_record()
    {
        var id = await h.InsertAsync("A", "www", "192.0.2.10");
        await h.RunPassAsync();
        await h.UpdateIntentAsync(id, "192.0.2.20");
        h.Emulator.AddFault(new FaultRule { Kind = FaultKind.ApplyThenFail500, Method = "PATCH", Count = 1 });

        await h.RunPassAsync();
        await h.MakeDueAsync(id);
        await h.RunPassAsync();

        var row = await h.ExistingRowAsync(id);
        Assert.Multiple(() =>
        {
            Assert.That(row.Status, Is.EqualTo(RecordStatus.Active));
            Assert.That(h.Remote().Single().Content, Is.EqualTo("192.0.2.20"));
            Assert.That(h.Requests("POST"), Has.Count.EqualTo(1), "the change was patched in place, never created anew");
        });
        await h.AssertNoStaleDuplicatesAsync();
    }
}
