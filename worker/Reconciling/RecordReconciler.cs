using DnsSync.Shared.Records;
using DnsSync.Worker.Claiming;
using DnsSync.Worker.Cloudflare;
using Microsoft.Extensions.Options;

namespace DnsSync.Worker.Reconciling;

/// <summary>
/// Decides and performs what one claimed row needs at Cloudflare. Rules that keep records from being lost or
/// duplicated:
/// <list type="bullet">
/// <item>A first create is exactly one POST. When an earlier claim may have reached the provider without its
/// answer being saved (no provider_record_id, attempt_count &gt; 0), the record is looked up first.</item>
/// <item>Records we create carry the comment <c>dns-sync:&lt;row id&gt;</c>; that is how a lost create is found again.</item>
/// <item>A record another row references (provider_record_id) or marks as its own is never adopted, changed or deleted.</item>
/// <item>A value change patches the record in place by id; it never creates a second one.</item>
/// </list>
/// </summary>
internal sealed class RecordReconciler(
    CloudflareClient cloudflare,
    RecordClaimer claimer,
    CredentialStore credentials,
    IOptions<CloudflareOptions> cloudflareOptions,
    TimeProvider time)
{
    private const string MarkerPrefix = "dns-sync:";

    /// <param name="record">A row this instance holds the lease on.</param>
    /// <param name="cancellationToken">Cancelled when the row must be given up (shutdown deadline): it is then released.</param>
    public async Task<RecordOutcome> ReconcileAsync(ClaimedRecord record, CancellationToken cancellationToken)
    {
        var attempt = new Attempt(record.ProviderRecordId) { Action = record.PlannedAction };
        try
        {
            if (!record.IsPresent && record.ProviderRecordId is null && record.PreviousAttemptCount == 0)
            {
                // attempt_count is raised in the claim transaction before any provider call, so zero proves
                // no request was ever sent for this row: nothing can exist remotely.
                return attempt.Outcome(OutcomeKind.Removed, "remove");
            }

            var (zoneId, credential) = Target(record);
            return record.IsPresent
                ? await ReconcilePresentAsync(record, zoneId, credential, attempt, cancellationToken)
                : await ReconcileAbsentAsync(record, zoneId, credential, attempt, cancellationToken);
        }
        catch (TargetException ex)
        {
            return attempt.Outcome(OutcomeKind.Failed, attempt.Action, error: ex.Message);
        }
        catch (CloudflareException ex)
        {
            return attempt.Outcome(OutcomeKind.Failed, attempt.Action, error: ex.Error.ToString());
        }
        catch (CloudflareTransportException ex)
        {
            return attempt.Outcome(OutcomeKind.Failed, attempt.Action, error: ex.Message);
        }
        catch (CloudflareRateLimitedException ex)
        {
            return attempt.Outcome(OutcomeKind.RateLimited, attempt.Action, error: ex.Message) with { RetryAfter = ex.RetryAfter };
        }
        catch (LeaseExpiringException)
        {
            return attempt.Outcome(OutcomeKind.Released, attempt.Action);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return attempt.Outcome(OutcomeKind.Released, attempt.Action);
        }
    }

    private async Task<RecordOutcome> ReconcilePresentAsync(
        ClaimedRecord record, string zoneId, CloudflareCredential credential, Attempt attempt, CancellationToken ct)
    {
        var mayExist = record.MayExistRemotely;
        if (record.ProviderRecordId is { } pid)
        {
            if (!record.ChangedSinceSync)
            {
                // Claimed again without a change of intent (lease takeover after a successful write, say):
                // the record was in sync when last written; proxied TTL 1 is not a reason to touch it.
                return attempt.Outcome(OutcomeKind.Synced, "noop", pid);
            }
            attempt.Action = "update";
            try
            {
                var patched = await CallAsync(record, attempt, () => cloudflare.PatchAsync(credential, zoneId, pid, DesiredFields(record), ct));
                return attempt.Outcome(OutcomeKind.Synced, "update", patched.Id);
            }
            catch (CloudflareException ex) when (ex.Error.IsNotFound)
            {
                // Deleted behind our back: create it anew, looking first in case an earlier attempt already did.
                attempt.ProviderRecordId = null;
                mayExist = true;
            }
        }

        attempt.Action = "create";
        if (mayExist && await FindOwnAsync(record, zoneId, credential, attempt, ct) is { } found)
            return found;

        try
        {
            var created = await CallAsync(record, attempt, () => cloudflare.CreateAsync(credential, zoneId, new RecordBody
            {
                Type = record.Type,
                Name = record.Fqdn,
                Content = record.Value,
                Ttl = record.Proxied ? RecordRules.AutomaticTtl : record.Ttl,
                Proxied = record.Proxied,
                Comment = record.OwnershipMarker,
            }, ct), creates: true);
            attempt.ProviderRecordId = created.Id;
            return attempt.Outcome(OutcomeKind.Synced, "create", created.Id);
        }
        catch (CloudflareException ex) when (ex.Error.IsAlreadyExists)
        {
            // Ours from an attempt whose answer was lost, or an identical record made by hand: adopt it.
            attempt.Action = "adopt";
            if (await FindOwnAsync(record, zoneId, credential, attempt, ct) is { } adopted)
                return adopted;
            return attempt.Outcome(OutcomeKind.Failed, "create",
                error: $"{ex.Error.ToString()}; the identical record belongs to another dns-sync row");
        }
        catch (CloudflareException ex) when (ex.Error.IsNameConflict)
        {
            var conflicts = await CallAsync(record, attempt, () => cloudflare.ListAsync(credential, zoneId, null, record.Fqdn, ct));
            var blocking = conflicts.Where(c => record.Type == "CNAME"
                    ? c.Type is "A" or "AAAA" or "CNAME"
                    : c.Type == "CNAME")
                .Select(c => c.ToString()).ToList();
            var detail = blocking.Count > 0 ? $"; conflicts with {string.Join(", ", blocking)}" : "";
            return attempt.Outcome(OutcomeKind.Failed, "create", error: ex.Error.ToString() + detail);
        }
    }

    /// <summary>
    /// Looks the row's record up by type and name. Keeps the first remote record marked as ours (else one with our
    /// content that nobody else claims), deletes further copies marked as ours, and patches the kept one if its
    /// content, TTL or proxied differ. Returns null when there is nothing to adopt.
    /// </summary>
    private async Task<RecordOutcome?> FindOwnAsync(
        ClaimedRecord record, string zoneId, CloudflareCredential credential, Attempt attempt, CancellationToken ct)
    {
        var remote = await CallAsync(record, attempt, () => cloudflare.ListAsync(credential, zoneId, record.Type, record.Fqdn, ct));
        var claims = await Claims.ReadAsync(claimer, record, ct);
        var free = remote.Where(r => !claims.IsClaimedByOther(r)).ToList();
        var ours = free.Where(r => r.Comment == record.OwnershipMarker).ToList();
        var keep = ours.FirstOrDefault(r => RecordRules.ContentEquals(record.Type, record.Value, r.Content))
            ?? ours.FirstOrDefault()
            ?? free.FirstOrDefault(r => RecordRules.ContentEquals(record.Type, record.Value, r.Content));
        if (keep is null) return null;

        attempt.ProviderRecordId = keep.Id;
        foreach (var extra in ours.Where(r => r.Id != keep.Id))
            await CallAsync(record, attempt, () => cloudflare.DeleteAsync(credential, zoneId, extra.Id, ct));

        if (Matches(record, keep))
            return attempt.Outcome(OutcomeKind.Synced, "adopt", keep.Id);
        // Ours but stale (a crash between create and write-back, then a value change): update it in place.
        var patched = await CallAsync(record, attempt, () => cloudflare.PatchAsync(credential, zoneId, keep.Id, DesiredFields(record), ct));
        return attempt.Outcome(OutcomeKind.Synced, "update", patched.Id);
    }

    private async Task<RecordOutcome> ReconcileAbsentAsync(
        ClaimedRecord record, string zoneId, CloudflareCredential credential, Attempt attempt, CancellationToken ct)
    {
        attempt.Action = "delete";
        if (record.ProviderRecordId is { } pid)
        {
            // A present row that points at the same remote record (data imported from the seed, say) still needs it.
            var sharedWith = await claimer.SiblingsAsync(record, ct);
            if (sharedWith.Any(s => s.ProviderRecordId == pid && s.DesiredState == DesiredState.Present))
                return attempt.Outcome(OutcomeKind.Removed, "remove");
            await CallAsync(record, attempt, () => cloudflare.DeleteAsync(credential, zoneId, pid, ct));
            attempt.ProviderRecordId = null;
            return attempt.Outcome(OutcomeKind.Removed, "delete");
        }

        // An earlier claim may have created the record without saving its id: find and delete what is ours.
        var remote = await CallAsync(record, attempt, () => cloudflare.ListAsync(credential, zoneId, record.Type, record.Fqdn, ct));
        var claims = await Claims.ReadAsync(claimer, record, ct);
        var doomed = remote.Where(r => !claims.IsClaimedByOther(r)
            && (r.Comment == record.OwnershipMarker
                || (!IsMarked(r) && RecordRules.ContentEquals(record.Type, record.Value, r.Content) && !claims.PresentWithValue(record.Type, r.Content))))
            .ToList();
        foreach (var victim in doomed)
        {
            attempt.ProviderRecordId = victim.Id;
            await CallAsync(record, attempt, () => cloudflare.DeleteAsync(credential, zoneId, victim.Id, ct));
        }
        attempt.ProviderRecordId = null;
        return attempt.Outcome(OutcomeKind.Removed, doomed.Count > 0 ? "delete" : "remove");
    }

    private static bool IsMarked(CloudflareDnsRecord r) => r.Comment?.StartsWith(MarkerPrefix, StringComparison.Ordinal) == true;

    private static bool Matches(ClaimedRecord record, CloudflareDnsRecord remote) =>
        RecordRules.ContentEquals(record.Type, record.Value, remote.Content)
        && remote.Proxied == record.Proxied
        && RecordRules.TtlEquals(record.Proxied, record.Ttl, remote.Ttl);

    private static RecordBody DesiredFields(ClaimedRecord record) => new()
    {
        Content = record.Value,
        Ttl = record.Proxied ? RecordRules.AutomaticTtl : record.Ttl,
        Proxied = record.Proxied,
    };

    private (string ZoneId, CloudflareCredential Credential) Target(ClaimedRecord record)
    {
        if (record.ProviderZoneId is null || record.ApiKeyId is null || record.ApiKeyToken is null)
            throw new TargetException($"domain {record.Zone} has no DNS provider binding with an API key");
        if (record.BindingStatus != "active")
            throw new TargetException($"the provider binding of domain {record.Zone} is {record.BindingStatus}");
        if (!string.Equals(record.BindingProvider, "cloudflare", StringComparison.OrdinalIgnoreCase))
            throw new TargetException($"provider '{record.BindingProvider}' of domain {record.Zone} is not supported");
        if (record.ApiKeyStatus != "active")
            throw new TargetException($"api key {record.ApiKeyId} of domain {record.Zone} is {record.ApiKeyStatus}");
        try
        {
            return (record.ProviderZoneId, credentials.Get(record.ApiKeyId.Value, record.ApiKeyToken, record.ApiKeyAccount));
        }
        catch (InvalidOperationException ex)
        {
            throw new TargetException(ex.Message);
        }
    }

    /// <summary>
    /// Every provider call goes through here: it checks the lease first and notes what the provider answered.
    /// For a create it also notes whether the record may now exist: yes after a success, a 5xx or no answer
    /// (applied-then-failed and lost answers look like that); no after a 4xx or 429, which Cloudflare refuses whole.
    /// </summary>
    private async Task<T> CallAsync<T>(ClaimedRecord record, Attempt attempt, Func<Task<T>> call, bool creates = false)
    {
        EnsureLease(record);
        try
        {
            var result = await call();
            attempt.ProviderStatus = 200;
            attempt.MayHaveCreated |= creates;
            return result;
        }
        catch (CloudflareException ex)
        {
            attempt.ProviderStatus = ex.Error.HttpStatus;
            attempt.MayHaveCreated |= creates && ex.Error.HttpStatus >= 500;
            throw;
        }
        catch (CloudflareRateLimitedException ex)
        {
            if (ex.FromProvider) attempt.ProviderStatus = 429;
            throw;
        }
        catch
        {
            // Timeout, dropped connection or cancellation: the request may have been applied.
            attempt.ProviderStatus = null;
            attempt.MayHaveCreated |= creates;
            throw;
        }
    }

    private async Task CallAsync(ClaimedRecord record, Attempt attempt, Func<Task> call) =>
        await CallAsync(record, attempt, async () => { await call(); return true; });

    /// <summary>A call may take the whole timeout; without that much lease left, another instance could take the row mid-call.</summary>
    private void EnsureLease(ClaimedRecord record)
    {
        var needed = TimeSpan.FromSeconds(cloudflareOptions.Value.TimeoutSec + 2);
        if (record.LeaseDeadline - time.GetUtcNow() < needed) throw new LeaseExpiringException();
    }

    /// <summary>The rows that share the record's type and name: whose remote records are off limits.</summary>
    private sealed class Claims(IReadOnlyList<SiblingRow> siblings)
    {
        public static async Task<Claims> ReadAsync(RecordClaimer claimer, ClaimedRecord record, CancellationToken ct) =>
            new(await claimer.SiblingsAsync(record, ct));

        public bool IsClaimedByOther(CloudflareDnsRecord remote) =>
            siblings.Any(s => s.ProviderRecordId == remote.Id || remote.Comment == ClaimedRecord.OwnershipMarkerFor(s.Id));

        public bool PresentWithValue(string type, string content) =>
            siblings.Any(s => s.DesiredState == DesiredState.Present && RecordRules.ContentEquals(type, s.Value, content));
    }

    private sealed class Attempt(string? providerRecordId)
    {
        public required string Action { get; set; }
        public string? ProviderRecordId { get; set; } = providerRecordId;
        public int? ProviderStatus { get; set; }
        public bool MayHaveCreated { get; set; }

        public RecordOutcome Outcome(OutcomeKind kind, string action, string? providerRecordId = null, string? error = null) => new()
        {
            Kind = kind,
            Action = action,
            ProviderRecordId = kind is OutcomeKind.Synced ? providerRecordId ?? ProviderRecordId : ProviderRecordId,
            Error = error,
            ProviderStatus = ProviderStatus,
            MayHaveCreated = MayHaveCreated,
        };
    }

    private sealed class TargetException(string message) : Exception(message);
}

/// <summary>Too little lease left for another provider call: the row is released instead.</summary>
internal sealed class LeaseExpiringException() : Exception("lease about to expire");
