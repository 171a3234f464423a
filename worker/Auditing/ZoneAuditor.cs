using System.Diagnostics;
using DnsSync.Shared.Audits;
using DnsSync.Worker.Cloudflare;
using DnsSync.Worker.Metrics;
using DnsSync.Worker.Reconciling;
using Microsoft.Extensions.Options;

namespace DnsSync.Worker.Auditing;

/// <summary>
/// Audits one zone: takes its lease, lists it in full (⌈records / 5,000⌉ requests, charged to the credential's budget
/// like every request), classifies (<see cref="ZoneClassifier"/>), stops at the brake (<see cref="AuditBrake"/>) or
/// applies — drifted and missing rows back to pending, so the normal sync path repairs them; orphans deleted only with
/// DnsWorker:DeleteOrphans — and writes the outcome. One log line per audit.
/// </summary>
internal sealed partial class ZoneAuditor(
    ZoneAuditStore store,
    CloudflareClient cloudflare,
    CredentialStore credentials,
    Installation installation,
    IOptions<DnsWorkerOptions> options,
    IOptions<CloudflareOptions> cloudflareOptions,
    TimeProvider time,
    ILogger<ZoneAuditor> logger)
{
    /// <summary>How soon a zone whose audit failed is audited again (at most the interval).</summary>
    private static readonly TimeSpan FailedRetry = TimeSpan.FromSeconds(60);

    /// <summary>Audits the zone most due, if any.</summary>
    /// <returns>The domain audited (whatever the outcome), or null when no audit was due.</returns>
    public async Task<long?> RunOnceAsync(CancellationToken cancellationToken)
    {
        if (await store.ClaimAsync(cancellationToken) is not { } audit) return null;
        var watch = Stopwatch.StartNew();
        var requests = 0;
        try
        {
            var credential = credentials.Get(audit.ApiKeyId, audit.ApiKeyToken, audit.ApiKeyAccount);
            var startedAt = await store.NowAsync(cancellationToken);
            var listing = await cloudflare.ListZoneAsync(credential, audit.ProviderZoneId, cancellationToken, async () =>
            {
                await KeepLeaseAsync(audit, cancellationToken);
                requests++;
            });
            var findings = await ClassifyAsync(audit, listing, startedAt, cancellationToken);
            var o = options.Value;
            var halted = AuditBrake.Halts(findings.Changes(o.DeleteOrphans), findings.ManagedRecords, o.AuditMaxChangeRatio, audit.ConfirmedChanges(o.DeleteOrphans));
            if (halted) Halt(findings, o.DeleteOrphans);
            else if (o.DeleteOrphans) requests += await DeleteOrphansAsync(audit, credential, findings, cancellationToken);

            var run = new AuditRun(halted ? AuditOutcome.Halted : AuditOutcome.Applied, startedAt, watch.ElapsedMilliseconds, requests);
            if (!await store.FinishAsync(audit, findings, run, startedAt))
            {
                LogLeaseLost(audit.Zone);
                return audit.DomainId;
            }
            Report(audit, findings, run);
        }
        catch (CloudflareRateLimitedException ex)
        {
            WorkerMetrics.Audits.WithLabels("deferred").Inc();
            LogDeferred(audit.Zone, ex.Message);
            await store.DeferAsync(audit, ex.RetryAfter, $"waiting: {ex.Message}");
        }
        catch (LeaseExpiringException)
        {
            LogLeaseLost(audit.Zone);
            await store.ReleaseAsync(audit.DomainId, CancellationToken.None);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await store.ReleaseAsync(audit.DomainId, CancellationToken.None);
            throw;
        }
        catch (Exception ex) when (ex is CloudflareException or CloudflareTransportException or InvalidOperationException)
        {
            // The listing failed (or the token cannot be decrypted): the last completed audit stays; the zone comes back soon.
            var error = ex is CloudflareException cf ? cf.Error.ToString() : ex.Message;
            WorkerMetrics.Audits.WithLabels(AuditOutcome.Failed).Inc();
            WorkerMetrics.AuditRequests.Inc(requests);
            LogFailed(audit.Zone, audit.ProviderZoneId, requests, watch.ElapsedMilliseconds, error);
            await store.FailAsync(audit, $"audit failed: {error}", RetryIn());
        }
        catch (Exception ex)
        {
            // A bug or the database: the zone must not stay leased until the lease runs out.
            WorkerMetrics.Audits.WithLabels(AuditOutcome.Failed).Inc();
            LogCrashed(ex, audit.Zone);
            try
            {
                await store.FailAsync(audit, $"audit failed: internal error: {ex.GetType().Name}: {ex.Message}", RetryIn());
            }
            catch (Exception releaseError)
            {
                LogNotReleased(releaseError, audit.Zone);
            }
        }
        return audit.DomainId;
    }

    private async Task<AuditFindings> ClassifyAsync(ClaimedAudit audit, IReadOnlyList<CloudflareDnsRecord> listing, DateTime listedAt, CancellationToken ct)
    {
        var ours = await installation.IdAsync(ct);
        var scope = new AuditScope(audit.Zone, audit.Subzones);
        var markedIds = listing.Where(r => scope.Contains(r.Name))
            .Select(r => OwnershipMarker.Parse(r.Comment))
            .Where(m => m is not null && (m.Installation is null || m.Installation == ours))
            .Select(m => m!.RowId).Distinct().ToList();
        // Read after the listing: a row the listing may predate is then either in flight or synced after listedAt, and not judged.
        var (rows, marked) = await store.ReadRowsAsync(audit.DomainId, markedIds, ct);
        return ZoneClassifier.Classify(scope, listing, rows, marked, ours, listedAt);
    }

    private static void Halt(AuditFindings findings, bool deleteOrphans)
    {
        foreach (var finding in findings.Differences.Where(f => f.Kind is AuditKind.Drift or AuditKind.Missing || (deleteOrphans && f.Kind == AuditKind.Orphan)))
            finding.Action = AuditAction.Halted;
    }

    /// <summary>Deletes the orphans, in batches of the binding's limit (a refused batch record by record); returns the requests made.</summary>
    private async Task<int> DeleteOrphansAsync(ClaimedAudit audit, CloudflareCredential credential, AuditFindings findings, CancellationToken ct)
    {
        var requests = 0;
        var orphans = findings.Differences.Where(f => f.Kind == AuditKind.Orphan).ToList();
        var limit = audit.BatchLimit ?? cloudflareOptions.Value.BatchLimit;
        try
        {
            foreach (var chunk in orphans.Chunk(limit))
            {
                await KeepLeaseAsync(audit, ct);
                requests++;
                try
                {
                    if (chunk.Length == 1) await cloudflare.DeleteAsync(credential, audit.ProviderZoneId, chunk[0].Remote!.Id, ct);
                    else await cloudflare.BatchAsync(credential, audit.ProviderZoneId, new BatchBody { Deletes = chunk.Select(f => new RecordBody { Id = f.Remote!.Id }).ToList() }, ct);
                    foreach (var orphan in chunk) orphan.Action = AuditAction.Delete;
                }
                catch (CloudflareException ex) when (ex.Error.IsRefusal && chunk.Length > 1)
                {
                    // A batch applies all or nothing (one orphan deleted meanwhile refuses it whole): one by one instead.
                    foreach (var orphan in chunk)
                    {
                        await KeepLeaseAsync(audit, ct);
                        requests++;
                        await cloudflare.DeleteAsync(credential, audit.ProviderZoneId, orphan.Remote!.Id, ct);
                        orphan.Action = AuditAction.Delete;
                    }
                }
            }
        }
        catch (Exception ex) when (ex is CloudflareException or CloudflareTransportException or CloudflareRateLimitedException)
        {
            // The orphans not deleted stay reported; the next audit tries again.
            LogOrphanDeleteFailed(audit.Zone, ex.Message);
        }
        return requests;
    }

    /// <summary>Before each provider request: renews the lease when half of it is gone, and gives up if it cannot be kept.</summary>
    private async Task KeepLeaseAsync(ClaimedAudit audit, CancellationToken ct)
    {
        var lease = TimeSpan.FromSeconds(options.Value.LeaseSec);
        if (audit.LeaseDeadline - time.GetUtcNow() < lease / 2 && !await store.RenewAsync(audit, ct)) throw new LeaseExpiringException();
        // A request may take the whole timeout; without that much lease left another worker could take the zone mid-request.
        if (audit.LeaseDeadline - time.GetUtcNow() < TimeSpan.FromSeconds(cloudflareOptions.Value.TimeoutSec + 2)) throw new LeaseExpiringException();
    }

    private void Report(ClaimedAudit audit, AuditFindings findings, AuditRun run)
    {
        var differences = findings.Differences.ToList();
        foreach (var kind in AuditKind.All) WorkerMetrics.AuditFindings.WithLabels(kind).Inc(findings.Count(kind));
        WorkerMetrics.AuditRepairs.WithLabels(AuditKind.Drift).Inc(differences.Count(d => d.Action == AuditAction.Repair));
        WorkerMetrics.AuditRepairs.WithLabels(AuditKind.Missing).Inc(differences.Count(d => d.Action == AuditAction.Recreate));
        WorkerMetrics.AuditRepairs.WithLabels(AuditKind.Orphan).Inc(differences.Count(d => d.Action == AuditAction.Delete));
        WorkerMetrics.Audits.WithLabels(run.Outcome).Inc();
        WorkerMetrics.AuditDuration.Observe(run.DurationMs / 1000.0);
        WorkerMetrics.AuditRequests.Inc(run.Requests);
        WorkerMetrics.AuditAge.WithLabels(audit.Zone).Set(0);
        var o = options.Value;
        if (run.Outcome == AuditOutcome.Halted)
            LogHalted(audit.Zone, audit.ProviderZoneId, findings.Changes(o.DeleteOrphans), findings.ManagedRecords, o.AuditMaxChangeRatio,
                findings.Count(AuditKind.Drift), findings.Count(AuditKind.Missing), findings.Count(AuditKind.Orphan), run.Requests, run.DurationMs);
        else
            LogAudited(audit.Zone, audit.ProviderZoneId, findings.RemoteRecords, findings.InSync, findings.Count(AuditKind.Drift),
                findings.Count(AuditKind.Missing), findings.Count(AuditKind.Orphan), differences.Count(d => d.Action == AuditAction.Delete),
                findings.Count(AuditKind.Blocking), findings.Count(AuditKind.Unmanaged), findings.Unjudged, run.Requests, run.DurationMs);
    }

    private TimeSpan RetryIn() => TimeSpan.FromSeconds(Math.Clamp(options.Value.AuditIntervalSec, 1, FailedRetry.TotalSeconds));

    [LoggerMessage(Level = LogLevel.Error, Message = "audit of zone {Zone} failed unexpectedly; the zone is audited again later")]
    private partial void LogCrashed(Exception ex, string zone);

    [LoggerMessage(Level = LogLevel.Error, Message = "audit of zone {Zone}: its lease could not be released; another worker takes the zone once it runs out")]
    private partial void LogNotReleased(Exception ex, string zone);

    [LoggerMessage(Level = LogLevel.Information, Message = "audit of zone {Zone} ({ZoneId}): {RemoteRecords} records, {InSync} in sync, {Drift} drifted, {Missing} missing, "
        + "{Orphans} orphans ({OrphansDeleted} deleted), {Blocking} blocking, {Unmanaged} unmanaged, {Unjudged} being changed; {Requests} requests, {ElapsedMs} ms")]
    private partial void LogAudited(string zone, string zoneId, int remoteRecords, int inSync, int drift, int missing, int orphans, int orphansDeleted,
        int blocking, int unmanaged, int unjudged, int requests, long elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "audit of zone {Zone} ({ZoneId}) halted: {Changes} changes among {Managed} managed records exceed DnsWorker:AuditMaxChangeRatio {Ratio} "
        + "({Drift} drifted, {Missing} missing, {Orphans} orphans); nothing applied until confirmed (POST /api/v1/domains/{{id}}/audit {{\"confirm\": true}}); {Requests} requests, {ElapsedMs} ms")]
    private partial void LogHalted(string zone, string zoneId, int changes, int managed, double ratio, int drift, int missing, int orphans, int requests, long elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "audit of zone {Zone} ({ZoneId}) failed after {Requests} requests, {ElapsedMs} ms: {Error}")]
    private partial void LogFailed(string zone, string zoneId, int requests, long elapsedMs, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "audit of zone {Zone} deferred: {Reason}")]
    private partial void LogDeferred(string zone, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "audit of zone {Zone}: the lease ran out before it finished; nothing written, the zone is audited again")]
    private partial void LogLeaseLost(string zone);

    [LoggerMessage(Level = LogLevel.Warning, Message = "audit of zone {Zone}: orphans not deleted ({Error}); they stay reported")]
    private partial void LogOrphanDeleteFailed(string zone, string error);
}
