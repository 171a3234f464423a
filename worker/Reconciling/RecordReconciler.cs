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
/// <item>Records we create carry an <see cref="OwnershipMarker"/>; that is how a lost create is found again.</item>
/// <item>A record another row references (provider_record_id), or marked for another row or another installation,
/// is never adopted, changed or deleted.</item>
/// <item>A value change patches the record in place by id; it never creates a second one.</item>
/// </list>
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

            if (InactiveTarget(record) is { } waitingFor)
            {
                // Not the record's fault: no retry is spent, and the row resumes once the target is active again.
                return attempt.Outcome(OutcomeKind.Deferred, attempt.Action, error: $"waiting: {waitingFor}")
                    with { RetryAfter = TimeSpan.FromSeconds(workerOptions.Value.TargetRecheckSec) };
            }
            var (zoneId, credential) = Target(record);
            var ours = new Ownership(record, await installation.IdAsync(cancellationToken));
            return record.IsPresent
                ? await ReconcilePresentAsync(record, ours, zoneId, credential, attempt, cancellationToken)
                : await ReconcileAbsentAsync(record, ours, zoneId, credential, attempt, cancellationToken);
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

    private async Task<RecordOutcome> ReconcilePresentAsync(
        ClaimedRecord record, Ownership ours, string zoneId, CloudflareCredential credential, Attempt attempt, CancellationToken ct)
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
        if (mayExist && await FindOwnAsync(record, ours, zoneId, credential, attempt, ct) is { } found)
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
                Comment = ours.Marker,
            }, ct), creates: true);
            attempt.ProviderRecordId = created.Id;
            return attempt.Outcome(OutcomeKind.Synced, "create", created.Id);
        }
        catch (CloudflareException ex) when (ex.Error.IsAlreadyExists)
        {
            // Ours from an attempt whose answer was lost, or an identical record made by hand: adopt it.
            attempt.Action = "adopt";
            if (await FindOwnAsync(record, ours, zoneId, credential, attempt, ct) is { } adopted)
                return adopted;
            var owner = attempt.Blocking is { } blocking ? $" (comment '{blocking.Comment}')" : "";
            return attempt.Outcome(OutcomeKind.Failed, "create",
                error: $"{ex.Error}; the identical record is marked as another dns-sync row's or installation's{owner} and is left alone");
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
    /// Looks the row's record up by type and name. Keeps the first remote record marked as ours (else an unmarked one
    /// with our content that no other row references), deletes further copies marked as ours, and patches the kept
    /// one if its content, TTL or proxied differ. Returns null when there is nothing to adopt.
    /// </summary>
    private async Task<RecordOutcome?> FindOwnAsync(
        ClaimedRecord record, Ownership ours, string zoneId, CloudflareCredential credential, Attempt attempt, CancellationToken ct)
    {
        var remote = await CallAsync(record, attempt, () => cloudflare.ListAsync(credential, zoneId, record.Type, record.Fqdn, ct));
        var claims = await Claims.ReadAsync(claimer, record, ct);
        var free = remote.Where(r => !claims.IsReferencedByOther(r)).ToList();
        var mine = free.Where(ours.Owns).ToList();
        var keep = mine.FirstOrDefault(r => RecordRules.ContentEquals(record.Type, record.Value, r.Content))
            ?? mine.FirstOrDefault()
            ?? free.FirstOrDefault(r => !OwnershipMarker.IsMarked(r.Comment) && RecordRules.ContentEquals(record.Type, record.Value, r.Content));
        if (keep is null)
        {
            attempt.Blocking = remote.FirstOrDefault(r => RecordRules.ContentEquals(record.Type, record.Value, r.Content));
            return null;
        }

        // Until every extra copy is gone the kept id is not saved: a cleanup cut short (a failure, a 429, the lease)
        // leaves the row without an id and uncertain, so its next attempt lists again and finishes the job.
        attempt.RemoteUncertain = true;
        foreach (var extra in mine.Where(r => r.Id != keep.Id))
            await CallAsync(record, attempt, () => cloudflare.DeleteAsync(credential, zoneId, extra.Id, ct));
        attempt.ProviderRecordId = keep.Id;

        if (Matches(record, keep))
            return attempt.Outcome(OutcomeKind.Synced, "adopt", keep.Id);
        // Ours but stale (a crash between create and write-back, then a value change): update it in place.
        var patched = await CallAsync(record, attempt, () => cloudflare.PatchAsync(credential, zoneId, keep.Id, DesiredFields(record), ct));
        return attempt.Outcome(OutcomeKind.Synced, "update", patched.Id);
    }

    private async Task<RecordOutcome> ReconcileAbsentAsync(
        ClaimedRecord record, Ownership ours, string zoneId, CloudflareCredential credential, Attempt attempt, CancellationToken ct)
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

        // An earlier claim may have created the record without saving its id: find and delete what is ours. Until all
        // are gone the row stays uncertain, so a deletion cut short lists again next time rather than forgetting the rest.
        var remote = await CallAsync(record, attempt, () => cloudflare.ListAsync(credential, zoneId, record.Type, record.Fqdn, ct));
        var claims = await Claims.ReadAsync(claimer, record, ct);
        var doomed = remote.Where(r => !claims.IsReferencedByOther(r)
            && (ours.Owns(r)
                || (!OwnershipMarker.IsMarked(r.Comment) && RecordRules.ContentEquals(record.Type, record.Value, r.Content)
                    && !claims.PresentWithValue(record.Type, r.Content))))
            .ToList();
        attempt.RemoteUncertain = doomed.Count > 0;
        foreach (var victim in doomed)
            await CallAsync(record, attempt, () => cloudflare.DeleteAsync(credential, zoneId, victim.Id, ct));
        return attempt.Outcome(OutcomeKind.Removed, doomed.Count > 0 ? "delete" : "remove");
    }

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

    private (string ZoneId, CloudflareCredential Credential) Target(ClaimedRecord record)
    {
        if (!string.Equals(record.BindingProvider, "cloudflare", StringComparison.OrdinalIgnoreCase))
            throw new TargetException($"provider '{record.BindingProvider}' of domain {record.Zone} is not supported");
        try
        {
            return (record.ProviderZoneId!, credentials.Get(record.ApiKeyId!.Value, record.ApiKeyToken!, record.ApiKeyAccount));
        }
        catch (InvalidOperationException ex)
        {
            throw new TargetException(ex.Message);
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
            attempt.RemoteUncertain |= creates && ex.Error.HttpStatus is not (>= 400 and < 500);
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

    /// <summary>A call may take the whole timeout; without that much lease left, another instance could take the row mid-call.</summary>
    private void EnsureLease(ClaimedRecord record)
    {
        var needed = TimeSpan.FromSeconds(cloudflareOptions.Value.TimeoutSec + 2);
        if (record.LeaseDeadline - time.GetUtcNow() < needed) throw new LeaseExpiringException();
    }

    /// <summary>Which remote records are this row's own: marked with its marker (or the first release's form of it).</summary>
    private sealed class Ownership(ClaimedRecord record, string installation)
    {
        public string Marker { get; } = OwnershipMarker.For(installation, record.Id);

        public bool Owns(CloudflareDnsRecord remote) => OwnershipMarker.IsOwnedBy(remote.Comment, installation, record.Id);
    }

    /// <summary>The rows that share the record's type and name: remote records they point at are off limits.</summary>
    private sealed class Claims(IReadOnlyList<SiblingRow> siblings)
    {
        public static async Task<Claims> ReadAsync(RecordClaimer claimer, ClaimedRecord record, CancellationToken ct) =>
            new(await claimer.SiblingsAsync(record, ct));

        public bool IsReferencedByOther(CloudflareDnsRecord remote) => siblings.Any(s => s.ProviderRecordId == remote.Id);

        public bool PresentWithValue(string type, string content) =>
            siblings.Any(s => s.DesiredState == DesiredState.Present && RecordRules.ContentEquals(type, s.Value, content));
    }

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

    private sealed class TargetException(string message) : Exception(message);
}

/// <summary>Too little lease left for another provider call: the row is released instead.</summary>
internal sealed class LeaseExpiringException() : Exception("lease about to expire");
