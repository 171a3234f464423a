using System.Diagnostics;
using Serilog;
using Serilog.Context;
using Serilog.Events;

namespace DnsSync.Api.Infrastructure;

/// <summary>
/// Serilog from configuration ("Serilog" section) plus the console. Request logging records method, path
/// (without the query string), status, elapsed time and the trace id the reply's envelope carries: never headers or
/// bodies, so no token reaches a log line.
/// </summary>
internal static class Logging
{
    // ASP.NET Core starts a request activity only when something listens; this listener makes every request have
    // one, so error envelopes and log lines share a W3C trace id (continuing a caller's traceparent).
    private static readonly ActivityListener RequestActivities = new()
    {
        ShouldListenTo = source => source.Name == "Microsoft.AspNetCore",
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
    };

    public static WebApplicationBuilder AddApiLogging(this WebApplicationBuilder builder)
    {
        ActivitySource.AddActivityListener(RequestActivities);
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
        app.Use(async (context, next) =>
        {
            using (LogContext.PushProperty("TraceId", ApiResults.CurrentTraceId(context)))
                await next(context);
        });
        app.UseSerilogRequestLogging(options =>
        {
            options.Logger = app.Services.GetRequiredService<Serilog.ILogger>();
            options.IncludeQueryInRequestPath = false;
            options.MessageTemplate = "HTTP {RequestMethod} {RequestPath} responded {StatusCode} in {Elapsed:0.0000} ms (trace {TraceId:l})";
        });
        return app;
    }
}
