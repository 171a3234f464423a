using System.Net;
using System.Net.Http.Headers;

namespace DnsSync.CloudflareEmulator.Tests;

/// <summary>
/// The limiter reads the emulator's clock, here a manual one: the window holds exactly the requests sent in it
/// however slowly a loaded machine runs them, and it slides only when the test moves the clock.
/// </summary>
public sealed class RateLimitTests : EmulatorTestBase
{
    private readonly ManualClock clock = new();

    protected override EmulatorOptions CreateOptions() =>
        new() { RateLimitRequests = 3, RateLimitWindow = TimeSpan.FromSeconds(1), TimeProvider = clock };

    [Test]
    public async Task Request_over_the_limit_gets_429_971_with_retry_after()
    {
        for (var i = 0; i < 3; i++) Assert.That((await Api.GetAsync(CfApi.Records(ZoneId))).Status, Is.EqualTo(HttpStatusCode.OK));

        var limited = await Api.GetAsync(CfApi.Records(ZoneId));

        Assert.That(limited.Status, Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(limited.Codes, Is.EqualTo(new[] { 971 }));
        Assert.That(limited.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(1)));
    }

    [Test]
    public async Task A_slot_frees_once_the_window_slides_past()
    {
        for (var i = 0; i < 3; i++) await Api.GetAsync(CfApi.Records(ZoneId));
        Assert.That((await Api.GetAsync(CfApi.Records(ZoneId))).Status, Is.EqualTo(HttpStatusCode.TooManyRequests));

        clock.Advance(TimeSpan.FromMilliseconds(999));
        Assert.That((await Api.GetAsync(CfApi.Records(ZoneId))).Status, Is.EqualTo(HttpStatusCode.TooManyRequests), "still inside the window");
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.That((await Api.GetAsync(CfApi.Records(ZoneId))).Status, Is.EqualTo(HttpStatusCode.OK), "the oldest request left the window");
    }

    [Test]
    public async Task Each_credential_has_its_own_budget()
    {
        Server.AddZone(Zone, "second-token");
        Server.AddGlobalKey("ops@example.com", "abc123", ZoneId);
        for (var i = 0; i < 4; i++) await Api.GetAsync(CfApi.Records(ZoneId));

        var otherToken = await Api.GetAsync(CfApi.Records(ZoneId), h => h.Authorization = new AuthenticationHeaderValue("Bearer", "second-token"));
        var globalKey = await Api.GetAsync(CfApi.Records(ZoneId), h =>
        {
            h.Add("X-Auth-Email", "ops@example.com");
            h.Add("X-Auth-Key", "abc123");
        });

        Assert.That(otherToken.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(globalKey.Status, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Retry_after_counts_the_seconds_until_the_oldest_request_leaves_the_window()
    {
        var slow = new ManualClock();
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { RateLimitRequests = 1, RateLimitWindow = TimeSpan.FromSeconds(30), TimeProvider = slow });
        var zoneId = server.AddZone(Zone, Token);
        using var http = new HttpClient { BaseAddress = server.BaseUrl };
        var api = new CfApi(http, Token);
        await api.GetAsync(CfApi.Records(zoneId));
        slow.Advance(TimeSpan.FromSeconds(10.5));

        var limited = await api.GetAsync(CfApi.Records(zoneId));

        Assert.That(limited.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(20)), "19.5 s left, rounded up");
    }
}
