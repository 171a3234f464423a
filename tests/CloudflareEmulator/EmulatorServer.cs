using DnsSync.CloudflareEmulator.Auth;
using DnsSync.CloudflareEmulator.Faults;
using DnsSync.CloudflareEmulator.Hosting;
using DnsSync.CloudflareEmulator.RequestLog;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace DnsSync.CloudflareEmulator;

/// <summary>The emulator running in-process on a free 127.0.0.1 port. Cloudflare routes are served at the root and under /client/v4.</summary>
public sealed class EmulatorServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly EmulatorState state;

    private EmulatorServer(WebApplication app, Uri baseUrl)
    {
        this.app = app;
        BaseUrl = baseUrl;
        state = app.Services.GetRequiredService<EmulatorState>();
    }

    /// <summary>Root URL, e.g. <c>http://127.0.0.1:PORT/</c>.</summary>
    public Uri BaseUrl { get; }

    public IReadOnlyList<RequestLogEntry> Requests => app.Services.GetRequiredService<RequestLogStore>().Snapshot();

    public static async Task<EmulatorServer> StartAsync(EmulatorOptions? options = null, CancellationToken ct = default)
    {
        var app = EmulatorApp.Build([], options ?? new EmulatorOptions(), embedded: true);
        app.Urls.Clear();
        app.Urls.Add("http://127.0.0.1:0");
        try
        {
            await app.StartAsync(ct);
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new EmulatorServer(app, new Uri(address.TrimEnd('/') + "/"));
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>The non-secret identity under which requests made with <paramref name="token"/> are logged.</summary>
    public static string TokenIdentity(string token) => Credential.TokenIdentity(token);

    /// <summary>
    /// Creates the zone (or finds it) and grants the bearer token access; returns the 32-hex zone id. With
    /// <paramref name="account"/>, the zone of that name in another account: another id, other records.
    /// </summary>
    public string AddZone(string name, string token, string? account = null) => state.AddZone(name, token, account).Id;

    /// <summary>Grants a Global API Key credential (<c>X-Auth-Email</c> + <c>X-Auth-Key</c>) access to a zone.</summary>
    public void AddGlobalKey(string email, string key, string zoneId) => state.AddGlobalKey(email, key, zoneId);

    /// <summary>Snapshot of the zone's records in creation order, as Cloudflare returns them.</summary>
    public IReadOnlyList<CloudflareRecord> Records(string zoneId) =>
        state.Records(zoneId) ?? throw new ArgumentException($"Unknown zone '{zoneId}'.", nameof(zoneId));

    public void AddFault(FaultRule rule) => app.Services.GetRequiredService<FaultInjector>().Add(rule);

    /// <summary>The fault rules still active (a Count rule is gone once its last request has been caught).</summary>
    public IReadOnlyList<FaultRule> Faults => app.Services.GetRequiredService<FaultInjector>().Rules;

    public void ClearFaults() => app.Services.GetRequiredService<FaultInjector>().Clear();

    /// <summary>Forgets zones, records, credentials, faults, rate-limit counters and the request log (seeded zones come back).</summary>
    public void Reset() => app.Services.GetRequiredService<EmulatorController>().Reset();

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await app.StopAsync(timeout.Token);
        }
        finally
        {
            await app.DisposeAsync();
        }
    }
}
