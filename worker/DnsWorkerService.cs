using DnsSync.Worker.Claiming;
using DnsSync.Worker.Metrics;
using DnsSync.Worker.Reconciling;
using Microsoft.Extensions.Options;

namespace DnsSync.Worker;

/// <summary>
/// The loop: a pass, then a wait (<see cref="PollDelay"/>): none after a full batch (more rows are due), short after
/// a pass that found work, up to IntervalSec while idle.
/// A failing pass (database down, say) is logged and retried on the next tick. On stop, no new row is started,
/// rows in flight get <see cref="InFlightGrace"/> to finish, and everything unfinished has its lease released.
/// </summary>
internal sealed partial class DnsWorkerService(
    SyncPass pass,
    RecordClaimer claimer,
    IOptions<DnsWorkerOptions> options,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<DnsWorkerService> logger) : BackgroundService
{
    /// <summary>How long records in flight may still take after stop is requested (below HostOptions.ShutdownTimeout).</summary>
    public static readonly TimeSpan InFlightGrace = TimeSpan.FromSeconds(20);

    private static readonly TimeSpan StatsInterval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var o = options.Value;
        if (!o.Enabled)
        {
            LogDisabled();
            return;
        }

        LogStarted(o.InstanceId, o.IntervalSec, o.BatchSize, o.LeaseSec);
        using var abort = new CancellationTokenSource();
        await using var onStop = stoppingToken.Register(() => abort.CancelAfter(InFlightGrace));
        var nextStats = DateTimeOffset.MinValue;
        var interval = TimeSpan.FromSeconds(o.IntervalSec);
        var wait = interval;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var claimed = 0;
                try
                {
                    claimed = await pass.RunOnceAsync(stoppingToken, abort.Token);
                    WorkerMetrics.Passes.WithLabels("ok").Inc();
                    if (time.GetUtcNow() >= nextStats)
                    {
                        nextStats = time.GetUtcNow() + StatsInterval;
                        await RefreshStatsAsync(stoppingToken);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    WorkerMetrics.Passes.WithLabels("error").Inc();
                    LogPassFailed(ex);
                }

                wait = PollDelay.Next(wait, claimed, o.BatchSize, interval);
                if (wait > TimeSpan.Zero) await Task.Delay(wait, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // Not survivable inside the loop: make systemd (Restart=on-failure) see a failure.
            LogFatal(ex);
            Environment.ExitCode = 1;
            lifetime.StopApplication();
            return;
        }
        LogStopped(o.InstanceId);
    }

    private async Task RefreshStatsAsync(CancellationToken cancellationToken)
    {
        var (byStatus, oldestDueAge) = await claimer.ReadStatsAsync(cancellationToken);
        foreach (var status in Shared.Records.RecordStatus.All)
            WorkerMetrics.Rows.WithLabels(status).Set(byStatus.GetValueOrDefault(status));
        WorkerMetrics.OldestDueAge.Set(oldestDueAge);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "DNS worker disabled (DnsWorker:Enabled=false); idle")]
    private partial void LogDisabled();

    [LoggerMessage(Level = LogLevel.Information, Message = "DNS worker {InstanceId} started: every {IntervalSec} s, batch {BatchSize}, lease {LeaseSec} s")]
    private partial void LogStarted(string instanceId, int intervalSec, int batchSize, int leaseSec);

    [LoggerMessage(Level = LogLevel.Information, Message = "DNS worker {InstanceId} stopped; unfinished rows were released")]
    private partial void LogStopped(string instanceId);

    [LoggerMessage(Level = LogLevel.Error, Message = "sync pass failed; retrying on the next tick")]
    private partial void LogPassFailed(Exception ex);

    [LoggerMessage(Level = LogLevel.Critical, Message = "DNS worker failed fatally; stopping the process with exit code 1")]
    private partial void LogFatal(Exception ex);
}
