using System.Diagnostics;
using DnsSync.Worker.Claiming;
using DnsSync.Worker.Cloudflare;
using Microsoft.Extensions.Options;

namespace DnsSync.Worker.Reconciling;

/// <summary>
/// Reconciles the claimed rows of one zone and credential together: their changes go to Cloudflare's batch endpoint,
/// at most the binding's batch limit per request, deletes → patches → posts (so a CNAME replacing an A at one name
/// lands after the A is gone), and rows whose record may exist are resolved with one listing of the zone instead of a
/// lookup each. Per-row guarantees are those of <see cref="RecordReconciler"/>, which takes the rows that need their
/// own requests:
/// <list type="bullet">
/// <item>A refused batch (4xx) applied nothing: it is split in halves until the refused changes stand alone, so k bad
/// changes among n cost about 2k·log₂n requests; each gets its own error, the others succeed.</item>
/// <item>A 429 applied nothing: its rows (and the zone's later batches) wait for Retry-After, retry_count unchanged.</item>
/// <item>A 5xx, a timeout or a lost answer may have applied everything: its rows fail with backoff, and those that
/// posted stay uncertain, so their next attempt finds what was created instead of posting again.</item>
/// <item>Posts are matched to rows by their ownership marker, never by position.</item>
/// </list>
/// </summary>
internal sealed partial class ZoneReconciler(
    RecordReconciler single,
    CloudflareClient cloudflare,
    RecordClaimer claimer,
    IOptions<CloudflareOptions> options,
    ILogger<ZoneReconciler> logger)
{
    /// <summary>Rows whose record may exist are looked up one by one up to this many; more share one zone listing.</summary>
    private const int ListingThreshold = 2;

    /// <summary>How long a zone whose batch endpoint answered "no such route" is reconciled with plain requests.</summary>
    private static readonly TimeSpan NoBatchFor = TimeSpan.FromMinutes(10);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> unbatchedZones = new();

    /// <param name="rows">Claimed rows of one zone and credential.</param>
    /// <param name="stopping">Once cancelled no further request is started; rows not yet sent are released.</param>
    /// <param name="abort">Once cancelled requests in flight are given up and their rows released.</param>
    public async Task<IReadOnlyList<(ClaimedRecord Record, RecordOutcome Outcome)>> ReconcileAsync(
        IReadOnlyList<ClaimedRecord> rows, CancellationToken stopping, CancellationToken abort)
    {
        var decided = new Dictionary<long, RecordOutcome>();
        var open = new List<ClaimedRecord>();
        foreach (var row in rows)
        {
            if (single.DecideWithoutProvider(row) is { } outcome) decided[row.Id] = outcome;
            else open.Add(row);
        }

        if (open.Count > 0)
        {
            var zone = new Zone(open, single.Target(open[0]), await claimer.SiblingsAsync(open, abort));
            await PlanAsync(zone, abort);
            await RunAsync(zone, stopping, abort);
            foreach (var (id, outcome) in zone.Outcomes) decided[id] = outcome;
        }
        return rows.Select(r => (r, decided[r.Id])).ToList();
    }

    /// <summary>Turns each open row into changes, or leaves it to the per-row path.</summary>
    private async Task PlanAsync(Zone zone, CancellationToken ct)
    {
        if (unbatchedZones.TryGetValue(zone.Id, out var until) && until > DateTimeOffset.UtcNow)
        {
            zone.Singles.AddRange(zone.Rows);
            return;
        }
        var uncertain = zone.Rows.Where(r => r.MayExistRemotely).ToList();
        if (uncertain.Count > ListingThreshold)
        {
            try
            {
                single.EnsureLease(zone.Rows[0]);
                var listing = await cloudflare.ListZoneAsync(zone.Credential, zone.Id, ct);
                var byName = listing.ToLookup(r => (r.Type, r.Name.TrimEnd('.').ToLowerInvariant()));
                foreach (var row in uncertain)
                    zone.Plans.Add(await PlanFromListingAsync(zone, row, byName[(row.Type, row.Fqdn.ToLowerInvariant())], ct));
            }
            catch (Exception ex) when (Unsent(ex, ct) is { } outcome)
            {
                foreach (var row in uncertain) zone.Outcomes[row.Id] = outcome with { Action = row.PlannedAction, ProviderRecordId = null };
            }
        }
        else
        {
            zone.Singles.AddRange(uncertain);
        }

        foreach (var row in zone.Rows.Where(r => !r.MayExistRemotely))
            zone.Plans.Add(await PlanSimpleAsync(zone, row, ct));

        // A lone change is sent as a plain request: one request either way, and its answer names the record directly.
        if (uncertain.Count <= ListingThreshold && zone.Plans.Sum(p => p.Changes.Count) == 1)
        {
            var lone = zone.Plans.Single(p => p.Changes.Count == 1);
            zone.Plans.Remove(lone);
            zone.Singles.Add(lone.Record);
        }
        foreach (var plan in zone.Plans.Where(p => p.Changes.Count == 0)) zone.Outcomes[plan.Record.Id] = plan.Outcome();
    }

    private async Task<RowPlan> PlanSimpleAsync(Zone zone, ClaimedRecord row, CancellationToken ct)
    {
        var plan = new RowPlan(row, await single.OwnershipAsync(row, ct));
        switch (row)
        {
            case { IsPresent: false, ProviderRecordId: { } pid }:
                plan.Action = "delete";
                // A present row that points at the same remote record (data imported from the seed, say) still needs it.
                if (zone.Claims(row).SharedWithPresent(pid)) plan.Action = "remove";
                else plan.Add(ChangeKind.Delete, new RecordBody { Id = pid });
                break;
            case { ProviderRecordId: { } pid }:
                plan.Action = "update";
                plan.Add(ChangeKind.Patch, RemoteRecords.DesiredFields(row, pid));
                break;
            default:
                plan.Action = "create";
                plan.Add(ChangeKind.Post, RemoteRecords.NewRecord(row, plan.Ours));
                break;
        }
        return plan;
    }

    /// <summary>The same rules as the per-row lookup (<see cref="RemoteRecords"/>), on the zone listing's records at the row's name.</summary>
    private async Task<RowPlan> PlanFromListingAsync(Zone zone, ClaimedRecord row, IEnumerable<CloudflareDnsRecord> remote, CancellationToken ct)
    {
        var plan = new RowPlan(row, await single.OwnershipAsync(row, ct)) { ProviderRecordId = null };
        var claims = zone.Claims(row);
        if (!row.IsPresent)
        {
            var doomed = RemoteRecords.Doomed(row, plan.Ours, remote, claims);
            plan.Action = doomed.Count > 0 ? "delete" : "remove";
            // Until all are gone the row stays uncertain, so a deletion cut short lists again next time.
            plan.RemoteUncertain = doomed.Count > 0;
            foreach (var victim in doomed) plan.Add(ChangeKind.Delete, new RecordBody { Id = victim.Id });
            return plan;
        }

        var (keep, extras) = RemoteRecords.ForPresent(row, plan.Ours, remote, claims);
        if (keep is null)
        {
            plan.Action = "create";
            plan.Add(ChangeKind.Post, RemoteRecords.NewRecord(row, plan.Ours));
            return plan;
        }
        // The kept id is saved only once every extra copy is gone (else the next attempt lists again).
        plan.RemoteUncertain = true;
        plan.KeepId = keep.Id;
        plan.Action = RemoteRecords.Matches(row, keep) ? "adopt" : "update";
        foreach (var extra in extras) plan.Add(ChangeKind.Delete, new RecordBody { Id = extra.Id });
        if (plan.Action == "update") plan.Add(ChangeKind.Patch, RemoteRecords.DesiredFields(row, keep.Id));
        return plan;
    }

    private async Task RunAsync(Zone zone, CancellationToken stopping, CancellationToken abort)
    {
        // Deletes first, so a record a post replaces at its name is gone before the post.
        foreach (var row in zone.Singles.Where(r => !r.IsPresent).ToList()) await RunSingleAsync(zone, row, stopping, abort);

        var batched = zone.Plans.Where(p => p.Changes.Count > 0).ToList();
        var changes = batched.SelectMany(p => p.Changes).OrderBy(c => c.Kind).ToList();
        var limit = zone.Rows.Min(r => r.BatchLimit ?? options.Value.BatchLimit);
        foreach (var chunk in changes.Chunk(limit))
        {
            if (stopping.IsCancellationRequested || abort.IsCancellationRequested)
            {
                foreach (var change in chunk) change.Row.Released = true;
                continue;
            }
            await SendAsync(zone, chunk, abort);
        }
        foreach (var plan in batched) zone.Outcomes[plan.Record.Id] = plan.Outcome();

        foreach (var row in zone.Singles.Where(r => r.IsPresent).ToList()) await RunSingleAsync(zone, row, stopping, abort);
        foreach (var plan in zone.Plans.Where(p => p.HandOff)) await RunSingleAsync(zone, plan.Record, stopping, abort, lookupFirst: true);
        foreach (var plan in zone.Plans.Where(p => p.Unbatched)) await RunSingleAsync(zone, plan.Record, stopping, abort);
    }

    private async Task RunSingleAsync(Zone zone, ClaimedRecord row, CancellationToken stopping, CancellationToken abort, bool lookupFirst = false)
    {
        zone.Outcomes[row.Id] = stopping.IsCancellationRequested || abort.IsCancellationRequested
            ? new RecordOutcome { Kind = OutcomeKind.Released, Action = row.PlannedAction, ProviderRecordId = row.ProviderRecordId }
            : await single.ReconcileAsync(row, abort, lookupFirst);
    }

    /// <summary>Sends one batch; a refused one is split in halves until the refused changes stand alone.</summary>
    private async Task SendAsync(Zone zone, IReadOnlyList<Change> changes, CancellationToken abort)
    {
        if (zone.Unbatched)
        {
            foreach (var change in changes) change.Row.Unbatched = true;
            return;
        }
        if (zone.Blocked is { } blocked)
        {
            foreach (var change in changes) change.Row.Defer(blocked.Message, blocked.RetryAfter);
            return;
        }
        var watch = Stopwatch.StartNew();
        try
        {
            single.EnsureLease(zone.Rows[0]);
            var result = await cloudflare.BatchAsync(zone.Credential, zone.Id, Body(changes), abort);
            Apply(changes, result);
            LogBatch(zone.Id, changes.Count, 200, watch.ElapsedMilliseconds);
        }
        catch (CloudflareException ex) when (ex.Error.IsRefusal && ex.Error.HttpStatus is 404 or 405 && !ex.Error.IsNotFound)
        {
            // No batch endpoint at this base URL (a proxy or an older API): the rows go as plain requests, for a while.
            LogNoBatch(zone.Id, ex.Error.ToString());
            unbatchedZones[zone.Id] = DateTimeOffset.UtcNow + NoBatchFor;
            zone.Unbatched = true;
            foreach (var change in changes) change.Row.Unbatched = true;
        }
        catch (CloudflareException ex) when (ex.Error.IsRefusal && ex.Error.IsAlreadyExists && !zone.ListedForExisting
                                              && changes.Count > 1 && changes.Any(c => c.Kind == ChangeKind.Post))
        {
            // Records already there (made by hand, or imported): one listing of the zone finds them all, where
            // splitting the batch would cost two requests per row and could outlast the lease, pass after pass.
            LogBatch(zone.Id, changes.Count, ex.Error.HttpStatus, watch.ElapsedMilliseconds);
            zone.ListedForExisting = true;
            if (await AdoptExistingAsync(zone, changes, abort) is { Count: > 0 } rest) await SendAsync(zone, rest, abort);
        }
        catch (CloudflareException ex) when (ex.Error.IsRefusal)
        {
            LogBatch(zone.Id, changes.Count, ex.Error.HttpStatus, watch.ElapsedMilliseconds);
            if (changes.Count == 1)
            {
                Refused(zone, changes[0], ex.Error);
                return;
            }
            var half = changes.Count / 2;
            await SendAsync(zone, changes.Take(half).ToList(), abort);
            await SendAsync(zone, changes.Skip(half).ToList(), abort);
        }
        catch (CloudflareRateLimitedException ex)
        {
            zone.Blocked = ex;
            foreach (var change in changes)
            {
                change.Row.Defer(ex.Message, ex.RetryAfter);
                if (ex.FromProvider) change.Row.ProviderStatus = 429;
            }
        }
        catch (LeaseExpiringException)
        {
            foreach (var change in changes) change.Row.Released = true;
        }
        catch (Exception ex) when (ex is CloudflareException or CloudflareTransportException || (ex is OperationCanceledException && abort.IsCancellationRequested))
        {
            // 5xx, a 2xx without a usable answer, a timeout, a dropped connection, a shutdown: maybe all applied.
            var error = ex is CloudflareException cf ? cf.Error.ToString() : ex.Message;
            LogBatch(zone.Id, changes.Count, ex is CloudflareException c ? c.Error.HttpStatus : null, watch.ElapsedMilliseconds);
            foreach (var change in changes)
            {
                if (change.Kind == ChangeKind.Post) change.Row.RemoteUncertain = true;
                if (ex is OperationCanceledException) change.Row.Released = true;
                else change.Row.Error ??= error;
                change.Row.ProviderStatus = ex is CloudflareException failed ? failed.Error.HttpStatus : null;
            }
        }
    }

    /// <summary>
    /// Lists the zone and takes, for each post of a batch refused as "already exists", the identical record that is
    /// the row's to adopt (<see cref="RemoteRecords.ForPresent"/>); one that needs more than adopting (a stale copy,
    /// extra copies) goes to the per-row path. Returns the changes still to send; if the listing fails, all of them
    /// (they are then split as any refused batch).
    /// </summary>
    private async Task<IReadOnlyList<Change>> AdoptExistingAsync(Zone zone, IReadOnlyList<Change> changes, CancellationToken abort)
    {
        List<CloudflareDnsRecord> listing;
        try
        {
            single.EnsureLease(zone.Rows[0]);
            listing = await cloudflare.ListZoneAsync(zone.Credential, zone.Id, abort);
        }
        catch (Exception ex) when (ex is CloudflareException or CloudflareTransportException or CloudflareRateLimitedException or LeaseExpiringException)
        {
            return changes;
        }
        var byName = listing.ToLookup(r => (r.Type, r.Name.TrimEnd('.').ToLowerInvariant()));
        var rest = new List<Change>();
        foreach (var change in changes)
        {
            var row = change.Row;
            if (change.Kind == ChangeKind.Post)
            {
                var remote = byName[(row.Record.Type, row.Record.Fqdn.ToLowerInvariant())];
                var (keep, extras) = RemoteRecords.ForPresent(row.Record, row.Ours, remote, zone.Claims(row.Record));
                if (keep is not null && extras.Count == 0 && RemoteRecords.Matches(row.Record, keep))
                {
                    row.KeepId = keep.Id;
                    row.Action = "adopt";
                    row.ProviderStatus = 200;
                    continue;
                }
                if (keep is not null)
                {
                    row.HandOff = true;
                    continue;
                }
            }
            rest.Add(change);
        }
        return rest;
    }

    private static BatchBody Body(IReadOnlyList<Change> changes)
    {
        List<RecordBody>? Of(ChangeKind kind) => changes.Where(c => c.Kind == kind).Select(c => c.Body).ToList() is { Count: > 0 } list ? list : null;
        return new BatchBody { Deletes = Of(ChangeKind.Delete), Patches = Of(ChangeKind.Patch), Posts = Of(ChangeKind.Post) };
    }

    /// <summary>
    /// Gives each post the record created for it: the one carrying its marker. A provider that leaves the comment out
    /// of its answer is matched by type, name and content instead, which is unique within one batch (a second
    /// identical post would have been refused); never by position.
    /// </summary>
    private static void Apply(IReadOnlyList<Change> changes, BatchResult result)
    {
        var unmatched = (result.Posts ?? []).ToList();
        var posts = changes.Where(c => c.Kind == ChangeKind.Post).ToList();
        foreach (var change in changes) change.Row.ProviderStatus = 200;
        foreach (var post in posts)
        {
            post.Row.RemoteUncertain = true;
            if (unmatched.FirstOrDefault(r => r.Comment == post.Body.Comment) is not { } created) continue;
            post.Row.CreatedId = created.Id;
            unmatched.Remove(created);
        }
        foreach (var post in posts.Where(p => p.Row.CreatedId is null))
        {
            var same = unmatched.Where(r => r.Comment is null && SameRecord(post, r)).ToList();
            if (same.Count == 1)
            {
                post.Row.CreatedId = same[0].Id;
                unmatched.Remove(same[0]);
            }
            else
            {
                post.Row.Error ??= $"cloudflare answered the batch without a record marked {post.Body.Comment}";
            }
        }
    }

    private static bool SameRecord(Change post, CloudflareDnsRecord remote) =>
        string.Equals(remote.Type, post.Row.Record.Type, StringComparison.OrdinalIgnoreCase)
        && string.Equals(remote.Name.TrimEnd('.'), post.Row.Record.Fqdn, StringComparison.OrdinalIgnoreCase)
        && Shared.Records.RecordRules.ContentEquals(post.Row.Record.Type, post.Row.Record.Value, remote.Content);

    /// <summary>A change Cloudflare refused on its own (4xx): nothing of it was applied.</summary>
    private static void Refused(Zone zone, Change change, CloudflareError error)
    {
        var row = change.Row;
        row.ProviderStatus = error.HttpStatus;
        switch (change.Kind)
        {
            case ChangeKind.Delete when error.IsNotFound:
                return; // already gone
            case ChangeKind.Post when error.IsAlreadyExists:
            case ChangeKind.Patch when error.IsNotFound:
                // There already (a lost answer, or made by hand), or deleted by hand: the per-row path looks it up.
                row.HandOff = true;
                return;
            case ChangeKind.Post when error.IsNameConflict && zone.Claims(row.Record).Leaving is { } leaving:
                // A CNAME replacing an A (or the reverse) whose delete another worker has not sent yet: not a failure.
                row.Defer($"waiting: the {leaving.Type} record of row {leaving.Id} at this name is being deleted ({error})", TimeSpan.FromSeconds(2));
                return;
            default:
                row.Error ??= error.ToString();
                return;
        }
    }

    /// <summary>The outcome of rows whose request could not be made or answered, or null to let the exception through.</summary>
    private static RecordOutcome? Unsent(Exception ex, CancellationToken ct) => ex switch
    {
        CloudflareRateLimitedException limited => new RecordOutcome { Kind = OutcomeKind.Deferred, Action = "", Error = limited.Message, RetryAfter = limited.RetryAfter },
        CloudflareException refused => new RecordOutcome { Kind = OutcomeKind.Failed, Action = "", Error = refused.Error.ToString(), ProviderStatus = refused.Error.HttpStatus },
        CloudflareTransportException lost => new RecordOutcome { Kind = OutcomeKind.Failed, Action = "", Error = lost.Message },
        LeaseExpiringException => new RecordOutcome { Kind = OutcomeKind.Released, Action = "" },
        OperationCanceledException when ct.IsCancellationRequested => new RecordOutcome { Kind = OutcomeKind.Released, Action = "" },
        _ => null,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "zone {ZoneId}: the batch endpoint is not there ({Error}); plain requests for 10 minutes")]
    private partial void LogNoBatch(string zoneId, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "zone {ZoneId}: batch of {Changes} changes answered {ProviderStatus} in {ElapsedMs} ms")]
    private partial void LogBatch(string zoneId, int changes, int? providerStatus, long elapsedMs);

    /// <summary>The rows of one zone and credential being reconciled, and what has been decided for them.</summary>
    private sealed class Zone(IReadOnlyList<ClaimedRecord> rows, (string ZoneId, CloudflareCredential Credential) target, ILookup<long, SiblingRow> siblings)
    {
        public IReadOnlyList<ClaimedRecord> Rows { get; } = rows;
        public string Id { get; } = target.ZoneId;
        public CloudflareCredential Credential { get; } = target.Credential;
        public List<RowPlan> Plans { get; } = [];

        /// <summary>Rows that go through the per-row path.</summary>
        public List<ClaimedRecord> Singles { get; } = [];

        public Dictionary<long, RecordOutcome> Outcomes { get; } = [];

        /// <summary>Set once the zone was listed to adopt records a batch found already there (once per pass).</summary>
        public bool ListedForExisting { get; set; }

        /// <summary>The batch endpoint answered "no such route": the rest goes as plain requests.</summary>
        public bool Unbatched { get; set; }

        /// <summary>Set by a 429 (or a spent budget): the zone's later batches are not sent.</summary>
        public CloudflareRateLimitedException? Blocked { get; set; }

        public Claims Claims(ClaimedRecord row) => Reconciling.Claims.For(row, siblings);
    }
}

internal enum ChangeKind
{
    // Cloudflare applies a batch in this order; the worker sends its chunks in it too.
    Delete,
    Patch,
    Post,
}

/// <summary>One change of a batch, for one row.</summary>
internal sealed record Change(RowPlan Row, ChangeKind Kind, RecordBody Body);

/// <summary>A row's changes in a zone batch and what became of them.</summary>
internal sealed class RowPlan(ClaimedRecord record, Ownership ours)
{
    public ClaimedRecord Record { get; } = record;
    public Ownership Ours { get; } = ours;
    public List<Change> Changes { get; } = [];
    public string Action { get; set; } = record.PlannedAction;

    /// <summary>The id a failure keeps: the row's own, unless its record is being resolved (then none until done).</summary>
    public string? ProviderRecordId { get; init; } = record.ProviderRecordId;

    /// <summary>The remote record an adopting row keeps.</summary>
    public string? KeepId { get; set; }

    /// <summary>The record a post created (matched by marker).</summary>
    public string? CreatedId { get; set; }

    public bool RemoteUncertain { get; set; }
    public int? ProviderStatus { get; set; }
    public string? Error { get; set; }
    public string? DeferredFor { get; private set; }
    public TimeSpan RetryAfter { get; private set; }
    public bool Released { get; set; }

    /// <summary>Refused in a way the per-row path resolves with a lookup (already exists, or gone).</summary>
    public bool HandOff { get; set; }

    /// <summary>Not sent: the zone has no batch endpoint, so the per-row path sends it.</summary>
    public bool Unbatched { get; set; }

    public void Add(ChangeKind kind, RecordBody body) => Changes.Add(new Change(this, kind, body));

    public void Defer(string reason, TimeSpan retryAfter)
    {
        DeferredFor ??= reason;
        RetryAfter = retryAfter > RetryAfter ? retryAfter : RetryAfter;
    }

    public RecordOutcome Outcome()
    {
        var (kind, error) = this switch
        {
            { Error: { } failed } => (OutcomeKind.Failed, failed),
            { DeferredFor: { } reason } => (OutcomeKind.Deferred, reason),
            { Released: true } => (OutcomeKind.Released, null),
            _ => (Record.IsPresent ? OutcomeKind.Synced : OutcomeKind.Removed, (string?)null),
        };
        var id = kind switch
        {
            OutcomeKind.Synced => CreatedId ?? KeepId ?? Record.ProviderRecordId,
            OutcomeKind.Removed => null,
            _ => ProviderRecordId,
        };
        return new RecordOutcome
        {
            Kind = kind, Action = Action, ProviderRecordId = id, Error = error, RetryAfter = RetryAfter,
            ProviderStatus = ProviderStatus, RemoteUncertain = RemoteUncertain,
        };
    }
}
