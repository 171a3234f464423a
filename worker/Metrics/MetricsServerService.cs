using Microsoft.Extensions.Options;
using Prometheus;

namespace DnsSync.Worker.Metrics;

/// <summary>Serves /metrics on DnsWorker:MetricsPort (all interfaces); port 0 turns it off.</summary>
internal sealed partial class MetricsServerService(IOptions<DnsWorkerOptions> options, ILogger<MetricsServerService> logger) : IHostedService
{
    private IMetricServer? server;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var port = options.Value.MetricsPort;
        if (port == 0) return Task.CompletedTask;
        try
        {
            server = new MetricServer(hostname: "+", port: port).Start();
        }
        catch (System.Net.HttpListenerException ex)
        {
            // The usual cause is a second worker on this host: each needs its own port (or 0 for none).
            throw new InvalidOperationException(
                $"DnsWorker:MetricsPort (env DnsWorker__MetricsPort) {port} cannot be opened: {ex.Message}. "
                + "Give every worker on one host its own port, or 0 to turn its metrics off.", ex);
        }
        LogListening(port);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (server is not null) await server.StopAsync();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Prometheus metrics on http://*:{Port}/metrics")]
    private partial void LogListening(int port);
}
