using DnsSync.Shared.Records;
using DnsSync.Worker.Claiming;
using DnsSync.Worker.Cloudflare;
using Microsoft.Extensions.Options;

namespace DnsSync.Worker.Reconciling;

/// <summary>
/// Decides and performs what one claimed row needs at Cloudflare with single requests. Rules that keep records from
/// being lost or duplicated:
/// <list type="bullet">
/// <item>A first create is exactly one POST. When an earlier claim may have reached the provider without its
/// answer being saved (no provider_record_id, attempt_count &gt; 0), the record is looked up first.</item>
/// <item>Records we create carry an <see cref="OwnershipMarker"/>; that is how a lost create is found again.</item>
/// <item>A record another row references (provider_record_id), or marked for another row or another installation,
/// is never adopted, changed or deleted.</item>
/// <item>A value change patches the record in place by id; it never creates a second one.</item>
/// </list>
/// <see cref="ZoneReconciler"/> batches the changes of many rows and hands a row here when it needs its own lookups.
/// </summary>
internal sealed class RecordReconciler(
    CloudflareClient cloudflare,
    RecordClaimer claimer,
    CredentialStore credentials,
    Installation installation,
    IOptions<CloudflareOptions> cloudflareOptions,
    IOptions<DnsWorkerOptions> workerOptions,
    TimeProvider time)
{
    /// <summary>
    /// What the row needs when that is known without asking the provider: removal of an absent row that never reached
    /// it, a no-op for a row in sync, a wait for an inactive target, a failure for an unusable one. Null: ask the provider.
    /// </summary>
    public RecordOutcome? DecideWithoutProvider(ClaimedRecord record)
    {
        if (!record.IsPresent && record.ProviderRecordId is null && record.PreviousAttemptCount == 0)
        {
            // attempt_count is raised in the claim transaction before any provider call, so zero proves
            // no request was ever sent for this row: nothing can exist remotely.
            return new RecordOutcome { Kind = OutcomeKind.Removed, Action = "remove" };
        }
        if (InactiveTarget(record) is { } waitingFor)
        {
            // Not the record's fault: no retry is spent, and the row resumes once the target is active again.
            return new RecordOutcome
            {
                Kind = OutcomeKind.Deferred, Action = record.PlannedAction, ProviderRecordId = record.ProviderRecordId,
                Error = $"waiting: {waitingFor}", RetryAfter = TimeSpan.FromSeconds(workerOptions.Value.TargetRecheckSec),
            };
        }
        if (UnusableTarget(record) is { } unusable)
            return new RecordOutcome { Kind = OutcomeKind.Failed, Action = record.PlannedAction, ProviderRecordId = record.ProviderRecordId, Error = unusable };
        if (record.IsPresent && record.ProviderRecordId is { } pid && !record.ChangedSinceSync)
        {
            // Claimed again without a change of intent (lease takeover after a successful write, say):
            // the record was in sync when last written; proxied TTL 1 is not a reason to touch it.
            return new RecordOutcome { Kind = OutcomeKind.Synced, Action = "noop", ProviderRecordId = pid };
        }
        return null;
    }

    /// <summary>The zone and the decrypted credential of a row whose target is usable (<see cref="DecideWithoutProvider"/> was null).</summary>
    public (string ZoneId, CloudflareCredential Credential) Target(ClaimedRecord record) =>
        (record.ProviderZoneId!, credentials.Get(record.ApiKeyId!.Value, record.ApiKeyToken!, record.ApiKeyAccount));

    public async Task<Ownership> OwnershipAsync(ClaimedRecord record, CancellationToken cancellationToken) =>
        new(record, await installation.IdAsync(cancellationToken));

    /// <summary>Reconciles one row with single requests.</summary>
    /// <param name="record">A row this instance holds the lease on.</param>
    /// <param name="cancellationToken">Cancelled when the row must be given up (shutdown deadline): it is then released.</param>
    /// <param name="lookupFirst">Look the record up before anything else (a batch found it already there, or gone).</param>
    public async Task<RecordOutcome> ReconcileAsync(ClaimedRecord record, CancellationToken cancellationToken, bool lookupFirst = false)
    {
        if (DecideWithoutProvider(record) is { } decided) return decided;
        var attempt = new Attempt(record.ProviderRecordId) { Action = record.PlannedAction };
        try
        {
            var (zoneId, credential) = Target(record);
            var ours = await OwnershipAsync(record, cancellationToken);
            var claims = Claims.For(record, await claimer.SiblingsAsync([record], cancellationToken));
            return record.IsPresent
                ? await ReconcilePresentAsync(record, ours, claims, zoneId, credential, attempt, lookupFirst, cancellationToken)
                : await ReconcileAbsentAsync(record, ours, claims, zoneId, credential, attempt, cancellationToken);
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
            return attempt.Outcome(OutcomeKind.Deferred, attempt.Action, error: ex.Message) with { RetryAfter = ex.RetryAfter };
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

    /// <summary>A call may take the whole timeout; without that much lease left, another instance could take the row mid-call.</summary>
    public void EnsureLease(ClaimedRecord record)
    {
        var needed = TimeSpan.FromSeconds(cloudflareOptions.Value.TimeoutSec + 2);
        if (record.LeaseDeadline - time.GetUtcNow() < needed) throw new LeaseExpiringException();
    }

    private async Task<RecordOutcome> ReconcilePresentAsync(ClaimedRecord record, Ownership ours, Claims claims,
        string zoneId, CloudflareCredential credential, Attempt attempt, bool lookupFirst, CancellationToken ct)
    {
        var mayExist = record.MayExistRemotely;
        if (record.ProviderRecordId is { } pid && !lookupFirst)
        {
            attempt.Action = "update";
            try
            {
                var patched = await CallAsync(record, attempt, () => cloudflare.PatchAsync(credential, zoneId, pid, RemoteRecords.DesiredFields(record), ct));
                return attempt.Outcome(OutcomeKind.Synced, "update", patched.Id);
            }
            catch (CloudflareException ex) when (ex.Error.IsNotFound)
            {
                // Deleted behind our back: create it anew, looking first in case an earlier attempt already did.
                mayExist = true;
            }
        }
        if (lookupFirst) mayExist = true;
        attempt.ProviderRecordId = null;

        attempt.Action = "create";
        if (mayExist && await FindOwnAsync(record, ours, claims, zoneId, credential, attempt, ct) is { } found)
            return found;

        try
        {
            var created = await CallAsync(record, attempt, () => cloudflare.CreateAsync(credential, zoneId, RemoteRecords.NewRecord(record, ours), ct), creates: true);
            attempt.ProviderRecordId = created.Id;
            return attempt.Outcome(OutcomeKind.Synced, "create", created.Id);
        }
        catch (CloudflareException ex) when (ex.Error.IsAlreadyExists)
        {
            // Ours from an attempt whose answer was lost, or an identical record made by hand: adopt it.
            attempt.Action = "adopt";
            if (await FindOwnAsync(record, ours, claims, zoneId, credential, attempt, ct) is { } adopted)
                return adopted;
            var owner = attempt.Blocking is { } blocking ? $" (comment '{blocking.Comment}')" : "";
            return attempt.Outcome(OutcomeKind.Failed, "create",
                error: $"{ex.Error}; the identical record is marked as another dns-sync row's or installation's{owner} and is left alone");
        }
        catch (CloudflareException ex) when (ex.Error.IsNameConflict)
        {
            if (claims.Leaving is { } leaving)
            {
                // A CNAME replacing an A (or the reverse) whose delete another worker has not sent yet: not a failure.
                return attempt.Outcome(OutcomeKind.Deferred, "create",
                    error: $"waiting: the {leaving.Type} record of row {leaving.Id} at this name is being deleted ({ex.Error})")
                    with { RetryAfter = LeavingWait };
            }
            var conflicts = await CallAsync(record, attempt, () => cloudflare.ListAsync(credential, zoneId, null, record.Fqdn, ct));
            var blocking = conflicts.Where(c => record.Type == "CNAME"
                    ? c.Type is "A" or "AAAA" or "CNAME"
                    : c.Type == "CNAME")
                .Select(c => c.ToString()).ToList();
            var detail = blocking.Count > 0 ? $"; conflicts with {string.Join(", ", blocking)}" : "";
            return attempt.Outcome(OutcomeKind.Failed, "create", error: ex.Error.ToString() + detail);
        }
    }

    /// <summary>How long a create waits for the delete of the record it replaces at its name (another worker's row).</summary>
    private static readonly TimeSpan LeavingWait = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Looks the row's record up by type and name and keeps its own (<see cref="RemoteRecords.ForPresent"/>): deletes
    /// further copies marked as ours and patches the kept one if it differs. Null when there is nothing to adopt.
    /// </summary>
    private async Task<RecordOutcome?> FindOwnAsync(ClaimedRecord record, Ownership ours, Claims claims,
        string zoneId, CloudflareCredential credential, Attempt attempt, CancellationToken ct)
    {
        var remote = await CallAsync(record, attempt, () => cloudflare.ListAsync(credential, zoneId, record.Type, record.Fqdn, ct));
        var (keep, extras) = RemoteRecords.ForPresent(record, ours, remote, claims);
        if (keep is null)
        {
            attempt.Blocking = remote.FirstOrDefault(r => RecordRules.ContentEquals(record.Type, record.Value, r.Content));
            return null;
        }

        // Until every extra copy is gone the kept id is not saved: a cleanup cut short (a failure, a 429, the lease)
        // leaves the row without an id and uncertain, so its next attempt lists again and finishes the job.
        attempt.RemoteUncertain = true;
        foreach (var extra in extras)
            await CallAsync(record, attempt, () => cloudflare.DeleteAsync(credential, zoneId, extra.Id, ct));
        attempt.ProviderRecordId = keep.Id;

        if (RemoteRecords.Matches(record, keep))
            return attempt.Outcome(OutcomeKind.Synced, "adopt", keep.Id);
        // Ours but stale (a crash between create and write-back, then a value change): update it in place.
        var patched = await CallAsync(record, attempt, () => cloudflare.PatchAsync(credential, zoneId, keep.Id, RemoteRecords.DesiredFields(record), ct));
        return attempt.Outcome(OutcomeKind.Synced, "update", patched.Id);
    }

    private async Task<RecordOutcome> ReconcileAbsentAsync(ClaimedRecord record, Ownership ours, Claims claims,
        string zoneId, CloudflareCredential credential, Attempt attempt, CancellationToken ct)
    {
        attempt.Action = "delete";
        if (record.ProviderRecordId is { } pid)
        {
            // A present row that points at the same remote record (data imported from the seed, say) still needs it.
            if (claims.SharedWithPresent(pid)) return attempt.Outcome(OutcomeKind.Removed, "remove");
            await CallAsync(record, attempt, () => cloudflare.DeleteAsync(credential, zoneId, pid, ct));
            attempt.ProviderRecordId = null;
            return attempt.Outcome(OutcomeKind.Removed, "delete");
        }

        // An earlier claim may have created the record without saving its id: find and delete what is ours. Until all
        // are gone the row stays uncertain, so a deletion cut short lists again next time rather than forgetting the rest.
        var remote = await CallAsync(record, attempt, () => cloudflare.ListAsync(credential, zoneId, record.Type, record.Fqdn, ct));
        var doomed = RemoteRecords.Doomed(record, ours, remote, claims);
        attempt.RemoteUncertain = doomed.Count > 0;
        foreach (var victim in doomed)
            await CallAsync(record, attempt, () => cloudflare.DeleteAsync(credential, zoneId, victim.Id, ct));
        return attempt.Outcome(OutcomeKind.Removed, doomed.Count > 0 ? "delete" : "remove");
    }

    /// <summary>What an inactive or missing target is (the row waits for it), or null when the row can be synced.</summary>
    private static string? InactiveTarget(ClaimedRecord record)
    {
        if (record.DomainStatus != "active") return $"domain {record.Zone} is {record.DomainStatus ?? "missing"}";
        if (record.ProviderZoneId is null) return $"domain {record.Zone} has no DNS provider binding";
        if (record.BindingStatus != "active") return $"the provider binding of domain {record.Zone} is {record.BindingStatus}";
        if (record.ApiKeyId is null || record.ApiKeyToken is null) return $"the provider binding of domain {record.Zone} has no api key";
        if (record.ApiKeyStatus != "active") return $"api key {record.ApiKeyId} of domain {record.Zone} is {record.ApiKeyStatus}";
        return null;
    }

    /// <summary>Why the row cannot be synced until a person acts (unsupported provider, undecryptable token), or null.</summary>
    private string? UnusableTarget(ClaimedRecord record)
    {
        if (!string.Equals(record.BindingProvider, "cloudflare", StringComparison.OrdinalIgnoreCase))
            return $"provider '{record.BindingProvider}' of domain {record.Zone} is not supported";
        try
        {
            credentials.Get(record.ApiKeyId!.Value, record.ApiKeyToken!, record.ApiKeyAccount);
            return null;
        }
        catch (InvalidOperationException ex)
        {
            return ex.Message;
        }
    }

    /// <summary>
    /// Every provider call goes through here: it checks the lease first and notes what the provider answered. A
    /// create leaves the remote state uncertain unless Cloudflare refused it with a 4xx (a refusal applies nothing):
    /// a success, a 5xx, a 2xx whose record cannot be read, and no answer at all may each mean it was applied.
    /// </summary>
    private async Task<T> CallAsync<T>(ClaimedRecord record, Attempt attempt, Func<Task<T>> call, bool creates = false)
    {
        EnsureLease(record);
        try
        {
            var result = await call();
            attempt.ProviderStatus = 200;
            attempt.RemoteUncertain |= creates;
            return result;
        }
        catch (CloudflareException ex)
        {
            attempt.ProviderStatus = ex.Error.HttpStatus;
            attempt.RemoteUncertain |= creates && !ex.Error.IsRefusal;
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
            attempt.RemoteUncertain |= creates;
            throw;
        }
    }

    private async Task CallAsync(ClaimedRecord record, Attempt attempt, Func<Task> call) =>
        await CallAsync(record, attempt, async () => { await call(); return true; });

    private sealed class Attempt(string? providerRecordId)
    {
        public required string Action { get; set; }
        public string? ProviderRecordId { get; set; } = providerRecordId;
        public int? ProviderStatus { get; set; }
        public bool RemoteUncertain { get; set; }

        /// <summary>An identical remote record that is not ours to adopt (for the error message).</summary>
        public CloudflareDnsRecord? Blocking { get; set; }

        public RecordOutcome Outcome(OutcomeKind kind, string action, string? providerRecordId = null, string? error = null) => new()
        {
            Kind = kind,
            Action = action,
            ProviderRecordId = kind is OutcomeKind.Synced ? providerRecordId ?? ProviderRecordId : ProviderRecordId,
            Error = error,
            ProviderStatus = ProviderStatus,
            RemoteUncertain = RemoteUncertain,
        };
    }
}

/// <summary>Too little lease left for another provider call: the row is released instead.</summary>
internal sealed class LeaseExpiringException() : Exception("lease about to expire");
