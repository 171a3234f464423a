using DnsSync.Shared.Records;
using DnsSync.Worker.Cloudflare;
using DnsSync.Worker.Reconciling;
using Microsoft.Extensions.Options;

namespace DnsSync.Worker.Rebinding;

/// <summary>
/// Deals with the records a rebind left at a domain's old zone, per old zone and API key: one listing of the zone
/// (5,000 per page) shows which still exist and finds what a create in flight at rebind time left (by the row's
/// ownership marker); records whose delete was asked for are deleted in batches (deletes only), but only those that
/// carry this installation's marker for their row. Everything goes through the old key's request budget.
/// <list type="bullet">
/// <item>Gone from the zone (deleted, or never created): the entry is forgotten.</item>
/// <item>Found, no delete asked for: kept and listed, with the id found.</item>
/// <item>Found, delete asked for, but not marked as ours (a record the row adopted, say): kept, and last_error says why.</item>
/// <item>At the zone the domain is bound to again while its row exists: the row's own (the rebind gave it back its
/// id, or it looks its record up): forgotten, never deleted.</item>
/// </list>
/// </summary>
internal sealed partial class StrandedRecordMover(
    StrandedRecordStore store, CloudflareClient cloudflare, CredentialStore credentials, Installation installation,
    IOptions<CloudflareOptions> cloudflareOptions, IOptions<DnsWorkerOptions> workerOptions, TimeProvider time,
    ILogger<StrandedRecordMover> logger)
{
    /// <returns>How many entries were claimed.</returns>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var claimed = await store.ClaimAsync(cancellationToken);
        var leaseDeadline = time.GetUtcNow().AddSeconds(workerOptions.Value.LeaseSec);
        foreach (var group in claimed.GroupBy(e => (e.ProviderZoneId, e.ApiKeyId)))
            await MoveAsync(group.ToList(), leaseDeadline, cancellationToken);
        return claimed.Count;
    }

    private async Task MoveAsync(IReadOnlyList<StrandedRecord> entries, DateTimeOffset leaseDeadline, CancellationToken cancellationToken)
    {
        var open = new List<StrandedRecord>();
        foreach (var entry in entries)
        {
            if (entry.IsAtCurrentZone && entry.RowExists) await store.ForgetAsync(entry);
            else open.Add(entry);
        }
        if (open.Count == 0) return;
        var first = open[0];
        if (first.KeyId is null)
        {
            foreach (var entry in open.Where(e => e.ProviderRecordId is not null))
                await store.KeepAsync(entry, entry.ProviderRecordId!, $"api key {entry.ApiKeyId} no longer exists: delete the record at Cloudflare by hand if it is not wanted");
            foreach (var entry in open.Where(e => e.ProviderRecordId is null))
                await store.FailAsync(entry, $"api key {entry.ApiKeyId} no longer exists: cannot look for a record of row {entry.RecordId}");
            return;
        }
        if (first.ApiKeyStatus != "active")
        {
            var recheck = TimeSpan.FromSeconds(workerOptions.Value.TargetRecheckSec);
            foreach (var entry in open) await store.DeferAsync(entry, recheck, $"waiting: api key {entry.ApiKeyId} is {entry.ApiKeyStatus}");
            return;
        }

        try
        {
            var credential = credentials.Get(first.ApiKeyId, first.ApiKeyToken!, first.ApiKeyAccount);
            EnsureLease(leaseDeadline);
            var listing = await cloudflare.ListZoneAsync(credential, first.ProviderZoneId, cancellationToken);
            var installationId = await installation.IdAsync(cancellationToken);
            var doomed = new List<(StrandedRecord Entry, IReadOnlyList<CloudflareDnsRecord> Records)>();
            foreach (var entry in open)
            {
                var found = Find(entry, listing, installationId);
                if (found.Count == 0) await store.ForgetAsync(entry);
                else if (!entry.DeleteRequested) await store.KeepAsync(entry, found[0].Id, null);
                else if (found.Where(r => !OwnershipMarker.IsOwnedBy(r.Comment, installationId, entry.RecordId)).ToList() is [var foreign, ..])
                    await store.KeepAsync(entry, foreign.Id, $"not deleted: the record is not marked as this installation's (comment '{foreign.Comment}')");
                else doomed.Add((entry, found));
            }
            await DeleteAsync(doomed, credential, first.ProviderZoneId, leaseDeadline, cancellationToken);
            LogZone(first.ProviderZoneId, open.Count, doomed.Count);
        }
        catch (Exception ex) when (Unsent(ex, cancellationToken) is { } outcome)
        {
            foreach (var entry in open) await outcome(entry);
        }
    }

    /// <summary>
    /// The remote records an entry stands for: the one with its saved id, or — when the row was being created at rebind
    /// time — those at its name and type marked as that row's.
    /// </summary>
    private static List<CloudflareDnsRecord> Find(StrandedRecord entry, IReadOnlyList<CloudflareDnsRecord> listing, string installationId) =>
        entry.ProviderRecordId is { } pid
            ? listing.Where(r => r.Id == pid).ToList()
            : listing.Where(r => string.Equals(r.Type, entry.Type, StringComparison.OrdinalIgnoreCase)
                                 && string.Equals(r.Name.TrimEnd('.'), entry.Fqdn, StringComparison.OrdinalIgnoreCase)
                                 && OwnershipMarker.IsOwnedBy(r.Comment, installationId, entry.RecordId)).ToList();

    /// <summary>Batches of deletes; a refused batch (a record deleted meanwhile fails it whole) falls back to one delete each, 81044 counting as gone.</summary>
    private async Task DeleteAsync(IReadOnlyList<(StrandedRecord Entry, IReadOnlyList<CloudflareDnsRecord> Records)> doomed,
        CloudflareCredential credential, string zoneId, DateTimeOffset leaseDeadline, CancellationToken cancellationToken)
    {
        var limit = cloudflareOptions.Value.BatchLimit;
        var batch = new List<(StrandedRecord Entry, IReadOnlyList<CloudflareDnsRecord> Records)>();
        foreach (var item in doomed)
        {
            if (batch.Count > 0 && batch.Sum(b => b.Records.Count) + item.Records.Count > limit)
            {
                await SendAsync(batch, credential, zoneId, leaseDeadline, cancellationToken);
                batch.Clear();
            }
            batch.Add(item);
        }
        if (batch.Count > 0) await SendAsync(batch, credential, zoneId, leaseDeadline, cancellationToken);
    }

    private async Task SendAsync(IReadOnlyList<(StrandedRecord Entry, IReadOnlyList<CloudflareDnsRecord> Records)> batch,
        CloudflareCredential credential, string zoneId, DateTimeOffset leaseDeadline, CancellationToken cancellationToken)
    {
        var ids = batch.SelectMany(b => b.Records).Select(r => r.Id).ToList();
        EnsureLease(leaseDeadline);
        if (ids.Count == 1)
        {
            await cloudflare.DeleteAsync(credential, zoneId, ids[0], cancellationToken);
        }
        else
        {
            try
            {
                await cloudflare.BatchAsync(credential, zoneId, new BatchBody { Deletes = ids.Select(id => new RecordBody { Id = id }).ToList() }, cancellationToken);
            }
            catch (CloudflareException ex) when (ex.Error.IsRefusal)
            {
                foreach (var id in ids)
                {
                    EnsureLease(leaseDeadline);
                    await cloudflare.DeleteAsync(credential, zoneId, id, cancellationToken);
                }
            }
        }
        foreach (var (entry, _) in batch) await store.ForgetAsync(entry);
    }

    /// <summary>A call may take the whole timeout; without that much lease left another instance could take the entries mid-call.</summary>
    private void EnsureLease(DateTimeOffset leaseDeadline)
    {
        if (leaseDeadline - time.GetUtcNow() < TimeSpan.FromSeconds(cloudflareOptions.Value.TimeoutSec + 2)) throw new LeaseExpiringException();
    }

    /// <summary>How an unfinished group's remaining entries are written back. Deletes are idempotent, so every attempt simply lists again.</summary>
    private Func<StrandedRecord, Task>? Unsent(Exception ex, CancellationToken cancellationToken) => ex switch
    {
        CloudflareRateLimitedException limited => entry => store.DeferAsync(entry, limited.RetryAfter, limited.Message),
        LeaseExpiringException => entry => store.DeferAsync(entry, TimeSpan.Zero, null),
        OperationCanceledException when cancellationToken.IsCancellationRequested => entry => store.DeferAsync(entry, TimeSpan.Zero, null),
        CloudflareException failed => entry => store.FailAsync(entry, failed.Error.ToString()),
        CloudflareTransportException or InvalidOperationException => entry => store.FailAsync(entry, ex.Message),
        _ => null,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "stranded records of zone {ZoneId}: {Entries} looked at, {Deleted} deleted")]
    private partial void LogZone(string zoneId, int entries, int deleted);
}
