using DnsSync.CloudflareEmulator;
using DnsSync.Shared.Records;
using DnsSync.Worker.Claiming;
using DnsSync.Worker.Rebinding;
using DnsSync.Worker.Reconciling;
using Microsoft.Extensions.DependencyInjection;

namespace DnsSync.Worker.Tests;

/// <summary>
/// A domain bound to another zone or API key (the api's own bind transaction), then the worker: rows created at the new
/// zone, the old zone's records kept and listed, or deleted with moveRecords once the new ones are active.
/// </summary>
public sealed class RebindTests : HarnessTest
{
    private const string NewToken = "cf-other-account-token-0123";

    private string newZoneId = "";
    private long newKeyId;

    [SetUp]
    public async Task AddSecondAccountAsync()
    {
        mover = null;
        // The same zone name in another Cloudflare account: a domain moving between accounts.
        newZoneId = h.Emulator.AddZone(WorkerHarness.Zone, NewToken, account: "second");
        newKeyId = await h.AddApiKeyAsync(NewToken);
    }

    private string OldZonePath => $"/zones/{h.ZoneId}/dns_records";

    private StrandedRecordMover Mover => mover ??= h.Worker().GetRequiredService<StrandedRecordMover>();
    private StrandedRecordMover? mover;

    private async Task<(long A, long Txt)> TwoActiveRowsAsync()
    {
        var a = await h.InsertAsync("A", "www", "192.0.2.10");
        var txt = await h.InsertAsync("TXT", "@", "v=spf1 -all");
        await h.RunUntilIdleAsync();
        Assert.That(h.Remote(), Has.Count.EqualTo(2));
        return (a, txt);
    }

    [Test]
    public async Task Rebind_without_moveRecords_creates_the_records_at_the_new_zone_and_keeps_and_lists_the_old_ones()
    {
        var (a, txt) = await TwoActiveRowsAsync();
        var old = h.Remote().ToDictionary(r => r.Type, r => r.Id);
        var gone = await h.InsertAsync("A", "old", "192.0.2.99");
        await h.RunUntilIdleAsync();
        var goneRemote = (await h.ExistingRowAsync(gone)).ProviderRecordId;
        await h.MarkAbsentAsync(gone);
        var sentBefore = h.Requests().Count;

        var binding = await h.BindAsync(newZoneId, newKeyId);

        var rebind = binding.Rebind!;
        Assert.Multiple(() =>
        {
            Assert.That(binding.ProviderZoneId, Is.EqualTo(newZoneId));
            Assert.That((rebind.PreviousZoneId, rebind.PreviousApiKeyId, rebind.MoveRecords, rebind.Requeued), Is.EqualTo((h.ZoneId, 1L, false, 3)));
            Assert.That(rebind.Stranded, Is.EqualTo(3));
            Assert.That(rebind.StrandedRecords.Where(s => s.Status == "kept").Select(s => (s.RecordId, s.ProviderRecordId)),
                Is.EquivalentTo(new[] { (a, old["A"]), (txt, old["TXT"]) }));
            Assert.That(rebind.StrandedRecords.Single(s => s.RecordId == gone).DeleteRequested, Is.True, "the user deleted that record already");
        });
        foreach (var id in new[] { a, txt })
        {
            var row = await h.ExistingRowAsync(id);
            Assert.That((row.Status, row.ProviderRecordId, row.SyncedVersion, row.AttemptCount), Is.EqualTo((RecordStatus.Pending, (string?)null, (long?)null, 0)));
        }

        await h.RunUntilIdleAsync();
        await Mover.RunOnceAsync(CancellationToken.None);

        var marker = await h.MarkerAsync(a);
        var created = h.Remote(newZoneId);
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(created.Select(r => (r.Type, r.Name)), Is.EquivalentTo(new[] { ("A", "www.example.com"), ("TXT", "example.com") }));
            Assert.That(created.Single(r => r.Type == "A").Comment, Is.EqualTo(marker));
            Assert.That((await h.ExistingRowAsync(a)).ProviderRecordId, Is.EqualTo(created.Single(r => r.Type == "A").Id));
            Assert.That((await h.ExistingRowAsync(a)).Status, Is.EqualTo(RecordStatus.Active));
            Assert.That(await h.RowAsync(gone), Is.Null, "the absent row was removed");
            Assert.That(h.Remote().Select(r => r.Id), Is.EquivalentTo(old.Values), "the old zone keeps both records; the absent row's is deleted");
            var listed = await h.StrandedAsync();
            Assert.That(listed.Select(s => (s.RecordId, s.Status, s.ProviderZoneId, s.Fqdn)),
                Is.EquivalentTo(new[] { (a, "kept", h.ZoneId, "www.example.com"), (txt, "kept", h.ZoneId, "example.com") }));
        });
        var sent = h.Requests().Skip(sentBefore).ToList();
        Assert.That(sent.Where(r => r.Path.Contains(h.ZoneId, StringComparison.Ordinal) && r.Method != "GET").Select(r => $"{r.Method} {r.Path}"),
            Is.EqualTo(new[] { $"DELETE {OldZonePath}/{goneRemote}" }), "the only change at the old zone is the absent row's delete");
        Assert.That(sent.Where(r => r.Path.Contains(newZoneId, StringComparison.Ordinal)).Select(r => r.Credential).Distinct(),
            Is.EqualTo(new[] { EmulatorServer.TokenIdentity(NewToken) }), "the new zone is written with the new key");
    }

    [Test]
    public async Task Rebind_with_moveRecords_deletes_the_old_records_only_after_the_new_ones_are_active_and_nothing_else()
    {
        var (a, txt) = await TwoActiveRowsAsync();
        // At the old zone too: a record made by hand, and one a row adopted (unmarked, same content: made before us).
        var foreign = await h.CreateRemoteAsync("A", "www", "192.0.2.77");
        var handMade = await h.CreateRemoteAsync("A", "api", "192.0.2.30");
        var adopter = await h.InsertAsync("A", "api", "192.0.2.30", attemptCount: 1);
        await h.RunUntilIdleAsync();
        Assert.That((await h.ExistingRowAsync(adopter)).ProviderRecordId, Is.EqualTo(handMade), "adopted by the lookup");
        var ours = h.Remote().Where(r => r.Comment?.StartsWith("dns-sync:", StringComparison.Ordinal) == true).Select(r => r.Id).ToList();
        Assert.That(ours, Has.Count.EqualTo(2));

        var rebind = (await h.BindAsync(newZoneId, newKeyId, moveRecords: true)).Rebind!;
        Assert.That((rebind.MoveRecords, rebind.Stranded), Is.EqualTo((true, 3)));
        Assert.That(rebind.StrandedRecords.Select(s => (s.Status, s.DeleteRequested)).Distinct(), Is.EqualTo(new[] { ("pending", true) }));

        Assert.That(await Mover.RunOnceAsync(CancellationToken.None), Is.Zero, "no delete before the new records are active");
        Assert.That(h.Remote(), Has.Count.EqualTo(4));

        await h.RunUntilIdleAsync();
        Assert.That(h.Remote(newZoneId), Has.Count.EqualTo(3));
        foreach (var id in new[] { a, txt, adopter }) Assert.That((await h.ExistingRowAsync(id)).Status, Is.EqualTo(RecordStatus.Active));
        Assert.That(await Mover.RunOnceAsync(CancellationToken.None), Is.EqualTo(3));

        await Assert.MultipleAsync(async () =>
        {
            Assert.That(h.Remote().Select(r => r.Id), Is.EquivalentTo(new[] { foreign, handMade }), "only our marked records were deleted");
            var left = (await h.StrandedAsync()).Single();
            Assert.That((left.RecordId, left.ProviderRecordId, left.Status), Is.EqualTo((adopter, handMade, "kept")));
            Assert.That(left.LastError, Does.Contain("not marked as this installation's"));
        });
        var oldZoneChanges = h.Requests().Where(r => r.Path.StartsWith(OldZonePath, StringComparison.Ordinal) && r.Method != "GET").ToList();
        Assert.That(oldZoneChanges.Select(r => r.Credential).Distinct(), Is.EqualTo(new[] { EmulatorServer.TokenIdentity(WorkerHarness.Token) }),
            "the old zone is cleaned up with the old key");
        Assert.That(oldZoneChanges.Last().Deletes, Is.EquivalentTo(ours), "one batch deleted exactly our two records");
    }

    [Test]
    public async Task Rebind_while_a_row_is_in_flight_lets_no_stale_id_back_and_finds_what_the_attempt_created()
    {
        var id = await h.InsertAsync("A", "www", "192.0.2.10");
        var worker = h.Worker();
        var claimed = await worker.GetRequiredService<RecordClaimer>().ClaimAsync(CancellationToken.None);
        Assert.That(claimed.Single().ProviderZoneId, Is.EqualTo(h.ZoneId), "claimed under the old binding");

        var rebind = (await h.BindAsync(newZoneId, newKeyId, moveRecords: true)).Rebind!;
        var entry = rebind.StrandedRecords.Single();
        Assert.That((entry.ProviderRecordId, entry.Status), Is.EqualTo(((string?)null, "pending")), "may exist: the claim is in flight");
        Assert.That(entry.NextRetryAt, Is.Not.Null, "due when the in-flight lease ends");

        // The stale attempt goes on: it creates at the old zone and cannot write that id back.
        var outcomes = await worker.GetRequiredService<ZoneReconciler>().ReconcileAsync(claimed, CancellationToken.None, CancellationToken.None);
        var written = await worker.GetRequiredService<RecordWriteBack>().WriteAsync(outcomes);
        var stale = h.Remote().Single();
        Assert.That(written.Single(), Is.EqualTo(WriteBack.LeaseLost));
        Assert.That((await h.ExistingRowAsync(id)).ProviderRecordId, Is.Null);

        await h.RunUntilIdleAsync();
        var row = await h.ExistingRowAsync(id);
        Assert.That((row.Status, row.ProviderRecordId), Is.EqualTo((RecordStatus.Active, h.Remote(newZoneId).Single().Id)));
        Assert.That(await Mover.RunOnceAsync(CancellationToken.None), Is.Zero, "not before the stale lease has ended");

        await h.ExecuteAsync("UPDATE stranded_records SET next_retry_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND");
        Assert.That(await Mover.RunOnceAsync(CancellationToken.None), Is.EqualTo(1));
        Assert.That(h.Remote(), Is.Empty, $"the stale create ({stale.Id}) was found by its marker and deleted");
        Assert.That(await h.StrandedAsync(), Is.Empty);
    }

    [Test]
    public async Task Rebind_without_moveRecords_of_an_in_flight_row_lists_what_the_attempt_created()
    {
        var id = await h.InsertAsync("A", "www", "192.0.2.10");
        var worker = h.Worker();
        var claimed = await worker.GetRequiredService<RecordClaimer>().ClaimAsync(CancellationToken.None);
        await h.BindAsync(newZoneId, newKeyId);
        await worker.GetRequiredService<RecordWriteBack>().WriteAsync(
            await worker.GetRequiredService<ZoneReconciler>().ReconcileAsync(claimed, CancellationToken.None, CancellationToken.None));
        await h.ExecuteAsync("UPDATE stranded_records SET next_retry_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND");

        Assert.That(await Mover.RunOnceAsync(CancellationToken.None), Is.EqualTo(1));

        var listed = (await h.StrandedAsync()).Single();
        Assert.That((listed.RecordId, listed.Status, listed.ProviderRecordId), Is.EqualTo((id, "kept", h.Remote().Single().Id)));
    }

    [Test]
    public async Task Rebind_to_another_key_of_the_same_zone_reapplies_the_rows_in_place_with_the_new_key()
    {
        var (a, txt) = await TwoActiveRowsAsync();
        var before = h.Remote().Select(r => r.Id).ToList();
        var oldA = h.Remote().Single(r => r.Type == "A").Id;
        h.Emulator.AddZone(WorkerHarness.Zone, NewToken);
        var sentBefore = h.Requests().Count;

        var rebind = (await h.BindAsync(h.ZoneId, newKeyId, moveRecords: true)).Rebind!;
        Assert.That((rebind.Requeued, rebind.Stranded), Is.EqualTo((2, 0)));
        Assert.That((await h.ExistingRowAsync(a)).ProviderRecordId, Is.EqualTo(oldA), "same zone, same records: ids kept");

        await h.RunUntilIdleAsync();

        var sent = h.Requests().Skip(sentBefore).ToList();
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(h.Remote().Select(r => r.Id), Is.EqualTo(before), "nothing created, nothing deleted");
            Assert.That(sent.Select(r => r.Credential).Distinct(), Is.EqualTo(new[] { EmulatorServer.TokenIdentity(NewToken) }));
            Assert.That(sent.SelectMany(r => r.Patches ?? []), Is.EquivalentTo(before), "one batch patch of both, with the new key");
            Assert.That(sent.Where(r => r.Method is "DELETE" || r.Deletes is { Count: > 0 } || r.Posts is { Count: > 0 }), Is.Empty);
            Assert.That((await h.ExistingRowAsync(txt)).Status, Is.EqualTo(RecordStatus.Active));
        });
    }

    [Test]
    public async Task Rebind_to_the_same_target_changes_nothing()
    {
        var (a, _) = await TwoActiveRowsAsync();
        var row = await h.ExistingRowAsync(a);

        var binding = await h.BindAsync(h.ZoneId, 1, moveRecords: true);

        Assert.That(binding.Rebind, Is.Null);
        var after = await h.ExistingRowAsync(a);
        Assert.That((after.Version, after.Status, after.ProviderRecordId), Is.EqualTo((row.Version, RecordStatus.Active, row.ProviderRecordId)));
        Assert.That(await h.RunPassAsync(), Is.Zero);
    }

    [Test]
    public async Task Rebinding_back_to_the_old_zone_takes_the_old_records_back_instead_of_creating_them_again()
    {
        var (a, txt) = await TwoActiveRowsAsync();
        var old = h.Remote().Select(r => r.Id).ToList();
        var oldA = h.Remote().Single(r => r.Type == "A").Id;
        await h.BindAsync(newZoneId, newKeyId);
        await h.RunUntilIdleAsync();

        await h.UpdateIntentAsync(a, "192.0.2.11");
        var back = (await h.BindAsync(h.ZoneId, 1)).Rebind!;
        Assert.That(back.Stranded, Is.EqualTo(2), "the second account's records are now the stranded ones");
        Assert.That((await h.ExistingRowAsync(a)).ProviderRecordId, Is.EqualTo(oldA), "the id at this zone is given back");

        await h.RunUntilIdleAsync();

        await Assert.MultipleAsync(async () =>
        {
            Assert.That(h.Remote().Select(r => r.Id), Is.EqualTo(old), "no second record");
            Assert.That(h.Remote().Single(r => r.Type == "A").Content, Is.EqualTo("192.0.2.11"), "patched to the current intent");
            Assert.That((await h.StrandedAsync()).Select(s => s.ProviderZoneId).Distinct(), Is.EqualTo(new[] { newZoneId }));
            Assert.That((await h.ExistingRowAsync(txt)).Status, Is.EqualTo(RecordStatus.Active));
        });
    }

    [Test]
    public async Task Record_updates_racing_a_rebind_are_all_kept_and_reach_the_new_zone()
    {
        var ids = new List<long>();
        for (var i = 0; i < 10; i++) ids.Add(await h.InsertAsync("A", $"r{i}", "192.0.2.1"));
        await h.RunUntilIdleAsync();
        var versions = new Dictionary<long, long>();
        foreach (var id in ids) versions[id] = (await h.ExistingRowAsync(id)).Version;

        var updates = ids.Select(async id =>
        {
            for (var n = 2; n <= 6; n++) await h.UpdateIntentAsync(id, $"192.0.2.{n}");
        });
        await Task.WhenAll(updates.Append(h.BindAsync(newZoneId, newKeyId)));

        foreach (var id in ids)
        {
            var row = await h.ExistingRowAsync(id);
            Assert.That((row.Value, row.Version, row.ProviderRecordId), Is.EqualTo(("192.0.2.6", versions[id] + 6, (string?)null)),
                $"row {id}: five updates and the rebind, none lost");
        }
        await h.RunUntilIdleAsync();
        Assert.That(h.Remote(newZoneId).Select(r => r.Content).Distinct(), Is.EqualTo(new[] { "192.0.2.6" }));
        Assert.That(h.Remote(newZoneId), Has.Count.EqualTo(10));
        Assert.That(await h.StrandedAsync(), Has.Count.EqualTo(10));
    }
}
