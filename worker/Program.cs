using DnsSync.Worker;
using Serilog;

// Stage one: a console logger for start-up failures (bad configuration) before the host exists.
Log.Logger = new LoggerConfiguration().WriteTo.Console().CreateBootstrapLogger();

try
{
    using var host = WorkerHost.Build(new HostApplicationBuilderSettings { Args = args });
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
