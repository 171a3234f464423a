using System.Net;

namespace DnsSync.CloudflareEmulator.Tests;

public sealed class ConcurrencyTests : EmulatorTestBase
{
    protected override EmulatorOptions CreateOptions() => new() { RecordQuotaPerZone = 1000 };

    [Test]
    public async Task Parallel_creates_lose_nothing_and_get_unique_ids()
    {
        var responses = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            Task.Run(() => Api.CreateAsync(ZoneId, new { type = "A", name = $"host{i}", content = "192.0.2.1" }))));

        Assert.That(responses.Select(r => r.Status), Is.All.EqualTo(HttpStatusCode.OK));
        Assert.That(responses.Select(r => r.Id).Distinct().Count(), Is.EqualTo(200));
        Assert.That(Server.Records(ZoneId).Select(r => r.Id).Order(), Is.EqualTo(responses.Select(r => r.Id).Order()));
    }

    [Test]
    public async Task Parallel_identical_creates_make_exactly_one_record()
    {
        var responses = await Task.WhenAll(Enumerable.Range(0, 30).Select(_ =>
            Task.Run(() => Api.CreateAsync(ZoneId, new { type = "TXT", name = "_acme-challenge", content = "token" }))));

        Assert.That(responses.Count(r => r.Success), Is.EqualTo(1));
        Assert.That(responses.Where(r => !r.Success).SelectMany(r => r.Codes), Is.All.EqualTo(81058));
        Assert.That(Server.Records(ZoneId), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Parallel_patches_of_different_records_all_stick()
    {
        var ids = new List<string>();
        for (var i = 0; i < 50; i++) ids.Add(await Api.CreateIdAsync(ZoneId, new { type = "A", name = $"h{i}", content = "192.0.2.1" }));

        await Task.WhenAll(ids.Select((id, i) =>
            Task.Run(() => Api.SendAsync(HttpMethod.Patch, CfApi.Record(ZoneId, id), new { content = $"198.51.100.{i}" }))));

        var records = Server.Records(ZoneId).ToDictionary(r => r.Id);
        Assert.That(ids.Select((id, i) => records[id].Content == $"198.51.100.{i}"), Is.All.True);
    }
}
