using DnsSync.Shared.Records;

namespace DnsSync.Worker.Tests;

/// <summary>Every path of the record lifecycle in DESIGN.md, against MariaDB and the emulator over HTTP.</summary>
public sealed class LifecycleTests
{
    private WorkerHarness h = null!;

    [SetUp]
    public async Task StartAsync() => h = await WorkerHarness.StartAsync();

    [TearDown]
    public async Task StopAsync() => await h.DisposeAsync();

    [Test]
    public async Task Create_makes_exactly_one_request_and_marks_row_active()
    {
        var id = await h.InsertAsync("A", "www", "192.0.2.10");

        Assert.That(await h.RunPassAsync(), Is.EqualTo(1));

        var row = await h.ExistingRowAsync(id);
        var remote = h.Remote().Single();
        var requests = h.Requests();
        Assert.Multiple(() =>
        {
            Assert.That(row.Status, Is.EqualTo(RecordStatus.Active));
            Assert.That(row.ProviderRecordId, Is.EqualTo(remote.Id));
            Assert.That(row.LastSyncedAt, Is.Not.Null);
            Assert.That(row.LockedBy, Is.Null);
            Assert.That(remote.Name, Is.EqualTo("www.example.com"));
            Assert.That(remote.Content, Is.EqualTo("192.0.2.10"));
            Assert.That(remote.Ttl, Is.EqualTo(120));
            Assert.That(remote.Comment, Is.EqualTo($"dns-sync:{id}"));
            Assert.That(requests, Has.Count.EqualTo(1));
            Assert.That(requests[0].Method, Is.EqualTo("POST"));
        });
    }
}
