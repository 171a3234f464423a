using DnsSync.Worker.Rebinding;
using DnsSync.Worker.ZoneImports;
using Microsoft.Extensions.Options;

namespace DnsSync.Worker;

/// <summary>
/// Beside the record loop: zone import requests (<see cref="ZoneImporter"/>) and records a rebind left at an old zone
/// (<see cref="StrandedRecordMover"/>), every IntervalSec, at once again while either finds work. A failing round is
/// logged and retried on the next tick; leases cover what it leaves unfinished.
/// </summary>
internal sealed partial class JobsService(
    ZoneImporter imports, StrandedRecordMover stranded, IOptions<DnsWorkerOptions> options, TimeProvider time, ILogger<JobsService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        if (!options.Value.Enabled) return;
        var interval = TimeSpan.FromSeconds(options.Value.IntervalSec);
        while (!stoppingToken.IsCancellationRequested)
        {
            var busy = false;
            try
            {
                busy = await imports.RunOnceAsync(stoppingToken);
                busy |= await stranded.RunOnceAsync(stoppingToken) > 0;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogRoundFailed(ex);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                if (!busy) await Task.Delay(interval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "zone import or stranded record round failed; retrying on the next tick")]
    private partial void LogRoundFailed(Exception ex);
}
