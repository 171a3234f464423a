using DnsSync.Worker;
using Serilog;

// Stage one: a console logger for start-up failures (bad configuration) before the host exists.
Log.Logger = new LoggerConfiguration().WriteTo.Console().CreateBootstrapLogger();

try
{
    var builder = Host.CreateApplicationBuilder(args);
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

    using var host = builder.Build();
    await host.RunAsync();
    // DnsWorkerService sets 1 when it stops the host after a fatal error.
    return Environment.ExitCode;
}
catch (Microsoft.Extensions.Options.OptionsValidationException ex)
{
    // A wrong setting: the message names it; a stack trace would only bury it.
    Log.Fatal("worker cannot start: {Message}", ex.Message);
    return 1;
}
catch (Exception ex) when (ex is not HostAbortedException)
{
    Log.Fatal(ex, "worker terminated: {Message}", ex.Message);
    return 1;
}
finally
{
    await Log.CloseAndFlushAsync();
}
