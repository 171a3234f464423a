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
        server = new MetricServer(hostname: "+", port: port).Start();
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
