using System.Diagnostics;
using DnsSync.Worker.Claiming;
using DnsSync.Worker.Metrics;
using Microsoft.Extensions.Options;

namespace DnsSync.Worker.Reconciling;

/// <summary>
/// One pass: claim a batch, reconcile it zone by zone (zones in parallel, bounded by MaxParallelZones; within a
/// zone deletions first, so a CNAME can replace an A at the same name), and write every outcome back.
/// </summary>
internal sealed partial class SyncPass(
    RecordClaimer claimer, RecordWriteBack writeBack, RecordReconciler reconciler, IOptions<DnsWorkerOptions> options, ILogger<SyncPass> logger)
{
    /// <param name="stopping">Once cancelled, no further row is started; claimed rows not yet started are released.</param>
    /// <param name="abort">Once cancelled, rows in flight are given up and released.</param>
    /// <returns>How many rows were claimed (a full batch means more are probably due).</returns>
    public async Task<int> RunOnceAsync(CancellationToken stopping, CancellationToken abort = default)
    {
        if (stopping.IsCancellationRequested) return 0;
        var claimed = await claimer.ClaimAsync(stopping);
        if (claimed.Count == 0) return 0;

        var zones = claimed
            .GroupBy(r => (r.ProviderZoneId, r.ApiKeyId))
            .Select(g => g.OrderBy(r => r.IsPresent ? 1 : 0).ToList())
            .ToList();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Value.MaxParallelZones };
        await Parallel.ForEachAsync(zones, parallel, async (zone, _) =>
        {
            foreach (var record in zone)
            {
                if (stopping.IsCancellationRequested || abort.IsCancellationRequested)
                    await ReleaseUnstartedAsync(record);
                else
                    await ProcessAsync(record, abort);
            }
        });
        return claimed.Count;
    }

    private async Task ProcessAsync(ClaimedRecord record, CancellationToken abort)
    {
        var watch = Stopwatch.StartNew();
        RecordOutcome? outcome = null;
        try
        {
            outcome = await reconciler.ReconcileAsync(record, abort);
            // Outcome writes are not cancellable: an outcome the provider already has must reach the row.
            var written = outcome.Kind switch
            {
                OutcomeKind.Synced => await writeBack.MarkActiveAsync(record, outcome.ProviderRecordId!, CancellationToken.None),
                OutcomeKind.Removed => await writeBack.RemoveAsync(record, CancellationToken.None),
                OutcomeKind.Failed => await writeBack.MarkFailedAsync(record, outcome.ProviderRecordId, outcome.Error!, outcome.RemoteUncertain, CancellationToken.None),
                OutcomeKind.Deferred => await writeBack.DeferAsync(record, outcome.ProviderRecordId, outcome.RetryAfter, outcome.Error!, outcome.RemoteUncertain, CancellationToken.None),
                _ => await writeBack.ReleaseAsync(record, outcome.ProviderRecordId, outcome.RemoteUncertain, CancellationToken.None),
            };
            var result = written switch
            {
                WriteBack.Superseded => "superseded",
                WriteBack.LeaseLost => "lease_lost",
                _ => outcome.Kind switch
                {
                    OutcomeKind.Synced or OutcomeKind.Removed => "ok",
                    OutcomeKind.Failed => "error",
                    OutcomeKind.Deferred => "deferred",
                    _ => "released",
                },
            };
            WorkerMetrics.Outcomes.WithLabels(outcome.Action, result).Inc();
            if (result is "ok" or "superseded" or "released")
                LogOutcome(record.Id, record.Fqdn, record.Type, outcome.Action, result, outcome.ProviderStatus, watch.ElapsedMilliseconds);
            else
                LogFailedOutcome(record.Id, record.Fqdn, record.Type, outcome.Action, result, outcome.ProviderStatus, watch.ElapsedMilliseconds, outcome.Error ?? "another instance took the row over after our lease expired");
        }
        catch (Exception ex)
        {
            // Database trouble while writing back, or a bug: a failure like any other (backoff, retry_count + 1), so a
            // fault that recurs does not spin; the remote state counts as uncertain, so the next attempt looks first.
            // If even this write fails, the lease runs out and the row is claimed again.
            WorkerMetrics.Outcomes.WithLabels(outcome?.Action ?? record.PlannedAction, "exception").Inc();
            LogException(ex, record.Id, record.Fqdn, watch.ElapsedMilliseconds);
            try
            {
                await writeBack.MarkFailedAsync(record, outcome?.ProviderRecordId ?? record.ProviderRecordId,
                    $"internal error: {ex.GetType().Name}: {ex.Message}", remoteUncertain: true, CancellationToken.None);
            }
            catch (Exception releaseError)
            {
                LogReleaseFailed(releaseError, record.Id);
            }
        }
    }

    private async Task ReleaseUnstartedAsync(ClaimedRecord record)
    {
        try
        {
            await writeBack.ReleaseAsync(record, record.ProviderRecordId, remoteUncertain: false, CancellationToken.None);
            WorkerMetrics.Outcomes.WithLabels(record.PlannedAction, "released").Inc();
            LogOutcome(record.Id, record.Fqdn, record.Type, record.PlannedAction, "released", null, 0);
        }
        catch (Exception ex)
        {
            LogReleaseFailed(ex, record.Id);
        }
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "record {RecordId} {Fqdn} {Type}: {Action} {Result} (provider status {ProviderStatus}, {ElapsedMs} ms)")]
    private partial void LogOutcome(long recordId, string fqdn, string type, string action, string result, int? providerStatus, long elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "record {RecordId} {Fqdn} {Type}: {Action} {Result} (provider status {ProviderStatus}, {ElapsedMs} ms): {Error}")]
    private partial void LogFailedOutcome(long recordId, string fqdn, string type, string action, string result, int? providerStatus, long elapsedMs, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "record {RecordId} {Fqdn}: sync failed unexpectedly after {ElapsedMs} ms")]
    private partial void LogException(Exception ex, long recordId, string fqdn, long elapsedMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "record {RecordId}: could not write its outcome or release its lease; it is claimable again when the lease expires")]
    private partial void LogReleaseFailed(Exception ex, long recordId);
}
