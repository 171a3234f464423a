using DnsSync.Shared.Records;
using DnsSync.Worker.Reconciling;
using Microsoft.Extensions.DependencyInjection;

namespace DnsSync.Worker.Tests;

/// <summary>Several worker instances on one database.</summary>
public sealed class ConcurrencyTests : HarnessTest
{
    [Test]
    public async Task Two_instances_never_act_on_the_same_row_and_leave_no_duplicates()
    {
        const int count = 120;
        var ids = new List<long>();
        for (var i = 0; i < count; i++) ids.Add(await h.InsertAsync("A", $"host{i}", $"192.0.2.{i % 250 + 1}"));
        var a = h.Worker("instance-a", s => s["DnsWorker:BatchSize"] = "10").GetRequiredService<SyncPass>();
        var b = h.Worker("instance-b", s => s["DnsWorker:BatchSize"] = "10").GetRequiredService<SyncPass>();

        await Task.WhenAll(Task.Run(() => h.RunUntilIdleAsync(a)), Task.Run(() => h.RunUntilIdleAsync(b)));

        // Then half of them change and a quarter are deleted, processed by both again.
        for (var i = 0; i < count; i += 2) await h.UpdateIntentAsync(ids[i], $"198.51.100.{i % 250 + 1}");
        for (var i = 1; i < count; i += 4) await h.MarkAbsentAsync(ids[i]);
        await Task.WhenAll(Task.Run(() => h.RunUntilIdleAsync(a)), Task.Run(() => h.RunUntilIdleAsync(b)));

        var remote = h.Remote();
        var requests = h.Requests();
        var remaining = count - count / 4;
        Assert.Multiple(async () =>
        {
            Assert.That(await h.ScalarAsync<long>("SELECT COUNT(*) FROM domain_dns_records WHERE status = 'active'"), Is.EqualTo(remaining));
            Assert.That(await h.ScalarAsync<long>("SELECT COUNT(*) FROM domain_dns_records"), Is.EqualTo(remaining));
            Assert.That(remote, Has.Count.EqualTo(remaining));
            Assert.That(remote.Select(r => r.Name).Distinct().Count(), Is.EqualTo(remaining), "one record per name");
            Assert.That(await h.StaleDuplicatesAsync(), Is.Empty, "no stale duplicate: no second record of a row, no record a row's marker points to in vain");
            // Batched or not, each create, patch and delete reaches the provider once: a row acted on by both
            // instances would touch its record twice for one change.
            Assert.That(requests.Sum(r => r.RecordIds.Count), Is.EqualTo(count + count / 2 + count / 4), "one change per create, update and delete");
            Assert.That(requests.Where(r => r.Status != 200), Is.Empty);
            var rows = await h.ScalarAsync<long>("SELECT COUNT(*) FROM domain_dns_records WHERE locked_by IS NOT NULL");
            Assert.That(rows, Is.Zero);
        });
        var touches = requests.SelectMany(r => r.RecordIds).GroupBy(id => id).Where(g => g.Count() > 2).Select(g => g.Key);
        Assert.That(touches, Is.Empty, "no record got more than its create and one change");
    }
}
