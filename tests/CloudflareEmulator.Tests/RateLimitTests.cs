using System.Net;
using System.Net.Http.Headers;

namespace DnsSync.CloudflareEmulator.Tests;

public sealed class RateLimitTests : EmulatorTestBase
{
    protected override EmulatorOptions CreateOptions() =>
        new() { RateLimitRequests = 3, RateLimitWindow = TimeSpan.FromSeconds(1) };

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

        var recovered = await WaitForAsync(() => Api.GetAsync(CfApi.Records(ZoneId)), r => r.Status == HttpStatusCode.OK, TimeSpan.FromSeconds(5));

        Assert.That(recovered.Success, Is.True);
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
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { RateLimitRequests = 1, RateLimitWindow = TimeSpan.FromSeconds(30) });
        var zoneId = server.AddZone(Zone, Token);
        using var http = new HttpClient { BaseAddress = server.BaseUrl };
        var api = new CfApi(http, Token);
        await api.GetAsync(CfApi.Records(zoneId));

        var limited = await api.GetAsync(CfApi.Records(zoneId));

        Assert.That(limited.Headers.RetryAfter?.Delta?.TotalSeconds, Is.InRange(29, 30));
    }
}
