using DnsSync.Worker.Metrics;
using Microsoft.Extensions.Options;

namespace DnsSync.Worker.Auditing;

/// <summary>
/// The audit loop, beside the sync loop: one zone at a time, the next at once while audits are due, else a wait of
/// DnsWorker:IntervalSec. Zones are audited every AuditIntervalSec (spread by jitter) and when asked for through the
/// api; a failing round (database down) is logged and retried.
/// </summary>
internal sealed partial class ZoneAuditService(
    ZoneAuditor auditor, ZoneAuditStore store, IOptions<DnsWorkerOptions> options, TimeProvider time, ILogger<ZoneAuditService> logger) : BackgroundService
{
    private static readonly TimeSpan ScheduleEvery = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan AgesEvery = TimeSpan.FromSeconds(15);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        if (!options.Value.Enabled) return;
        var interval = TimeSpan.FromSeconds(options.Value.IntervalSec);
        var nextSchedule = DateTimeOffset.MinValue;
        var nextAges = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            var audited = false;
            try
            {
                if (time.GetUtcNow() >= nextSchedule)
                {
                    nextSchedule = time.GetUtcNow() + ScheduleEvery;
                    await store.ScheduleNewZonesAsync(stoppingToken);
                }
                audited = await auditor.RunOnceAsync(stoppingToken) is not null;
                if (time.GetUtcNow() >= nextAges)
                {
                    nextAges = time.GetUtcNow() + AgesEvery;
                    foreach (var (zone, age) in await store.ReadAgesAsync(stoppingToken)) WorkerMetrics.AuditAge.WithLabels(zone).Set(age ?? -1);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogRoundFailed(ex);
            }
            if (!audited)
            {
                try
                {
                    await Task.Delay(interval, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "audit round failed; retrying on the next tick")]
    private partial void LogRoundFailed(Exception ex);
}
