using Serilog;

namespace DnsSync.Worker;

/// <summary>The worker's host as Program.cs runs it; the tests build the very same one.</summary>
internal static class WorkerHost
{
    /// <param name="settings">Host settings (the command line, or the tests' DisableDefaults).</param>
    /// <param name="configure">Extra configuration sources, added before the seed's flat names are resolved.</param>
    public static IHost Build(HostApplicationBuilderSettings settings, Action<IConfigurationBuilder>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder(settings);
        configure?.Invoke(builder.Configuration);
        // The seed's flat names (DNS_WORKER_ENABLED, …) apply where DnsWorker__X is not set.
        builder.Configuration.AddInMemoryCollection(DnsWorkerOptions.SeedNames(builder.Configuration).ToList());
        builder.Services.Configure<HostOptions>(o =>
        {
            o.ShutdownTimeout = TimeSpan.FromSeconds(30);
            o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.StopHost;
        });
        builder.Services.AddSystemd();
        // Stage two: the configured logger (Serilog section), one structured line per record outcome.
        builder.Services.AddSerilog((services, lc) => lc
            // HttpClientFactory writes four lines per request; the record outcome line says what matters.
            .MinimumLevel.Override("System.Net.Http.HttpClient", Serilog.Events.LogEventLevel.Warning)
            .ReadFrom.Configuration(builder.Configuration)
            .ReadFrom.Services(services)
            .Enrich.FromLogContext()
            .WriteTo.Console());
        builder.Services.AddDnsWorker(builder.Configuration);
        return builder.Build();
    }
}
