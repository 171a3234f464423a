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
    RecordClaimer claimer, RecordReconciler reconciler, IOptions<DnsWorkerOptions> options, ILogger<SyncPass> logger)
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
                OutcomeKind.Synced => await claimer.MarkActiveAsync(record, outcome.ProviderRecordId!, CancellationToken.None),
                OutcomeKind.Removed => await claimer.RemoveAsync(record, CancellationToken.None),
                OutcomeKind.Failed => await claimer.MarkFailedAsync(record, outcome.ProviderRecordId, outcome.Error!, outcome.MayHaveCreated, CancellationToken.None),
                OutcomeKind.RateLimited => await claimer.MarkRateLimitedAsync(record, outcome.ProviderRecordId, outcome.RetryAfter, outcome.Error!, outcome.MayHaveCreated, CancellationToken.None),
                _ => await claimer.ReleaseAsync(record, outcome.ProviderRecordId, outcome.MayHaveCreated, CancellationToken.None),
            };
            var result = written switch
            {
                WriteBack.Superseded => "superseded",
                WriteBack.LeaseLost => "lease_lost",
                _ => outcome.Kind switch
                {
                    OutcomeKind.Synced or OutcomeKind.Removed => "ok",
                    OutcomeKind.Failed => "error",
                    OutcomeKind.RateLimited => "rate_limited",
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
            // Database trouble while writing back, or a bug: the lease runs out and the row is claimed again,
            // and the attempt_count raised by this claim makes that attempt look the record up first.
            WorkerMetrics.Outcomes.WithLabels(outcome?.Action ?? record.PlannedAction, "exception").Inc();
            LogException(ex, record.Id, record.Fqdn, watch.ElapsedMilliseconds);
            try
            {
                await claimer.ReleaseAsync(record, outcome?.ProviderRecordId ?? record.ProviderRecordId, mayHaveCreated: true, CancellationToken.None);
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
            await claimer.ReleaseAsync(record, record.ProviderRecordId, mayHaveCreated: false, CancellationToken.None);
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

    [LoggerMessage(Level = LogLevel.Error, Message = "record {RecordId}: could not release its lease; it is claimable again when the lease expires")]
    private partial void LogReleaseFailed(Exception ex, long recordId);
}
