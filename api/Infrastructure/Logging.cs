using Serilog;
using Serilog.Events;

namespace DnsSync.Api.Infrastructure;

/// <summary>
/// Serilog from configuration ("Serilog" section) plus the console. Request logging records method, path
/// (without the query string), status and elapsed time: never headers or bodies, so no token reaches a log line.
/// </summary>
internal static class Logging
{
    public static WebApplicationBuilder AddApiLogging(this WebApplicationBuilder builder)
    {
        // Each host gets its own logger (the static bootstrap logger is only for start-up failures), so several
        // hosts in one process — tests — do not fight over one frozen static logger.
        builder.Services.AddSerilog((services, logger) => logger
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
            .ReadFrom.Configuration(builder.Configuration)
            .ReadFrom.Services(services)
            .Enrich.FromLogContext()
            .WriteTo.Console(), preserveStaticLogger: true);
        return builder;
    }

    public static WebApplication UseApiRequestLogging(this WebApplication app)
    {
        app.UseSerilogRequestLogging(options =>
        {
            options.Logger = app.Services.GetRequiredService<Serilog.ILogger>();
            options.IncludeQueryInRequestPath = false;
        });
        return app;
    }
}
