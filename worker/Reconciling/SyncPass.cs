using System.Diagnostics;
using DnsSync.Worker.Claiming;
using DnsSync.Worker.Metrics;
using Microsoft.Extensions.Options;

namespace DnsSync.Worker.Reconciling;

/// <summary>
/// One pass: claim a batch, reconcile it zone by zone (<see cref="ZoneReconciler"/>; zones in parallel, bounded by
/// MaxParallelZones), and write each zone's outcomes back in one transaction.
/// </summary>
internal sealed partial class SyncPass(
    RecordClaimer claimer, RecordWriteBack writeBack, ZoneReconciler zones, IOptions<DnsWorkerOptions> options, ILogger<SyncPass> logger)
{
    /// <param name="stopping">Once cancelled, no further request is started; claimed rows not yet sent are released.</param>
    /// <param name="abort">Once cancelled, requests in flight are given up and their rows released.</param>
    /// <returns>How many rows were claimed (a full batch means more are probably due).</returns>
    public async Task<int> RunOnceAsync(CancellationToken stopping, CancellationToken abort = default)
    {
        if (stopping.IsCancellationRequested) return 0;
        var claimed = await claimer.ClaimAsync(stopping);
        if (claimed.Count == 0) return 0;

        var groups = claimed.GroupBy(r => (r.ProviderZoneId, r.ApiKeyId)).Select(g => g.ToList()).ToList();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Value.MaxParallelZones };
        await Parallel.ForEachAsync(groups, parallel, async (zone, _) =>
        {
            if (stopping.IsCancellationRequested || abort.IsCancellationRequested)
                foreach (var record in zone) await ReleaseUnstartedAsync(record);
            else
                await ProcessAsync(zone, stopping, abort);
        });
        return claimed.Count;
    }

    private async Task ProcessAsync(IReadOnlyList<ClaimedRecord> zone, CancellationToken stopping, CancellationToken abort)
    {
        var watch = Stopwatch.StartNew();
        IReadOnlyList<(ClaimedRecord Record, RecordOutcome Outcome)>? outcomes = null;
        try
        {
            outcomes = await zones.ReconcileAsync(zone, stopping, abort);
            var written = await writeBack.WriteAsync(outcomes);
            for (var i = 0; i < outcomes.Count; i++) Report(outcomes[i].Record, outcomes[i].Outcome, written[i], watch.ElapsedMilliseconds);
        }
        catch (Exception ex)
        {
            // Database trouble while writing back, or a bug: a failure like any other (backoff, retry_count + 1), so a
            // fault that recurs does not spin; the remote state counts as uncertain, so the next attempt looks first,
            // and ids the provider already gave are kept. If even this write fails, the lease runs out and the row is
            // claimed again.
            var known = outcomes?.ToDictionary(o => o.Record.Id, o => o.Outcome);
            foreach (var record in zone)
            {
                var outcome = known?.GetValueOrDefault(record.Id);
                WorkerMetrics.Outcomes.WithLabels(outcome?.Action ?? record.PlannedAction, "exception").Inc();
                LogException(ex, record.Id, record.Fqdn, watch.ElapsedMilliseconds);
                try
                {
                    await writeBack.MarkFailedAsync(record, outcome?.ProviderRecordId ?? record.ProviderRecordId,
                        $"internal error: {ex.GetType().Name}: {ex.Message}", remoteUncertain: true);
                }
                catch (Exception releaseError)
                {
                    LogReleaseFailed(releaseError, record.Id);
                }
            }
        }
    }

    private void Report(ClaimedRecord record, RecordOutcome outcome, WriteBack written, long elapsedMs)
    {
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
            LogOutcome(record.Id, record.Fqdn, record.Type, outcome.Action, result, outcome.ProviderStatus, elapsedMs);
        else
            LogFailedOutcome(record.Id, record.Fqdn, record.Type, outcome.Action, result, outcome.ProviderStatus, elapsedMs, outcome.Error ?? "another instance took the row over after our lease expired");
    }

    private async Task ReleaseUnstartedAsync(ClaimedRecord record)
    {
        try
        {
            await writeBack.ReleaseAsync(record);
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
