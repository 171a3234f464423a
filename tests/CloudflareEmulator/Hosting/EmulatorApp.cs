using DnsSync.CloudflareEmulator.Auth;
using DnsSync.CloudflareEmulator.Control;
using DnsSync.CloudflareEmulator.Faults;
using DnsSync.CloudflareEmulator.Records;
using DnsSync.CloudflareEmulator.RequestLog;
using DnsSync.CloudflareEmulator.Zones;

namespace DnsSync.CloudflareEmulator.Hosting;

/// <summary>Builds the emulator's web application; shared by <c>Program</c> and <see cref="EmulatorServer.StartAsync"/>.</summary>
internal static class EmulatorApp
{
    public static WebApplication Build(string[] args, EmulatorOptions? options, bool embedded)
    {
        var (zoneArgs, rest) = EmulatorCommandLine.ExtractZones(args);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = rest,
            ApplicationName = typeof(EmulatorApp).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddCommandLine(rest, EmulatorCommandLine.SwitchMappings);

        options ??= EmulatorCommandLine.Read(builder.Configuration, zoneArgs);
        options.Validate();

        if (embedded)
        {
            builder.Logging.ClearProviders();
        }
        else
        {
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);
        }

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<EmulatorState>();
        builder.Services.AddSingleton<RateLimiter>();
        builder.Services.AddSingleton<FaultInjector>();
        builder.Services.AddSingleton<RequestLogStore>();
        builder.Services.AddSingleton<EmulatorController>();

        var app = builder.Build();
        app.UseMiddleware<RequestLogMiddleware>();
        app.UsePathBase("/client/v4");
        app.UseMiddleware<FaultMiddleware>();
        app.UseRouting();

        app.MapEmulatorControl();
        var cloudflare = app.MapGroup("").AddEndpointFilter<CloudflareAuthFilter>();
        cloudflare.MapZones();
        cloudflare.MapDnsRecords();
        cloudflare.MapTokenVerify();
        app.MapFallback(() => Cf.Fail(Cf.NoRoute()));
        return app;
    }
}
