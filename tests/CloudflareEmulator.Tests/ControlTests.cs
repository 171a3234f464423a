using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace DnsSync.CloudflareEmulator.Tests;

public sealed class ControlTests : EmulatorTestBase
{
    protected override EmulatorOptions CreateOptions()
    {
        var options = new EmulatorOptions();
        options.Zones.Add(new ZoneSeed("seeded.test", "seed-token"));
        return options;
    }

    [Test]
    public async Task Post_zones_creates_a_zone_and_grants_the_token()
    {
        var response = await Http.PostAsJsonAsync("__emulator/zones", new { name = "New.Example.", token = "new-token" });
        var zone = await response.Content.ReadFromJsonAsync<JsonElement>();
        var id = zone.GetProperty("id").GetString()!;

        var list = await new CfApi(Http, "new-token").GetAsync(CfApi.Records(id));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(id, Does.Match("^[0-9a-f]{32}$"));
        Assert.That(zone.GetProperty("name").GetString(), Is.EqualTo("new.example"));
        Assert.That(list.Status, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Post_zones_for_an_existing_zone_grants_another_token_and_keeps_the_id()
    {
        var response = await Http.PostAsJsonAsync("__emulator/zones", new { name = Zone, token = "second-token" });
        var zone = await response.Content.ReadFromJsonAsync<JsonElement>();

        var list = await new CfApi(Http, "second-token").GetAsync(CfApi.Records(ZoneId));

        Assert.That(zone.GetProperty("id").GetString(), Is.EqualTo(ZoneId));
        Assert.That(list.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await Api.GetAsync(CfApi.Records(ZoneId))).Status, Is.EqualTo(HttpStatusCode.OK), "the first token keeps access");
    }

    [Test]
    public async Task Post_zones_without_a_token_is_refused()
    {
        var response = await Http.PostAsJsonAsync("__emulator/zones", new { name = "x.test" });

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task Global_keys_are_granted_over_http()
    {
        var response = await Http.PostAsJsonAsync("__emulator/global-keys", new { email = "ops@example.com", key = "k123", zoneId = ZoneId });

        var list = await Api.GetAsync(CfApi.Records(ZoneId), h =>
        {
            h.Add("X-Auth-Email", "ops@example.com");
            h.Add("X-Auth-Key", "k123");
        });

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(list.Status, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Records_route_returns_every_record_as_cloudflare_does()
    {
        var id = await Api.CreateIdAsync(ZoneId, new { type = "A", name = "www", content = "192.0.2.1" });
        var viaApi = await Api.GetAsync(CfApi.Record(ZoneId, id));

        var records = await Http.GetFromJsonAsync<JsonElement>($"__emulator/zones/{ZoneId}/records");

        Assert.That(records.GetArrayLength(), Is.EqualTo(1));
        Assert.That(records[0].ToString(), Is.EqualTo(viaApi.Result.ToString()));
        Assert.That((await Http.GetAsync($"__emulator/zones/{new string('0', 32)}/records")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task Request_log_names_the_credential_without_the_secret_and_lists_touched_records()
    {
        var id = await Api.CreateIdAsync(ZoneId, new { type = "A", name = "www", content = "192.0.2.1" });
        await Api.SendAsync(HttpMethod.Patch, CfApi.Record(ZoneId, id), new { ttl = 120 });
        await Api.GetAsync($"{CfApi.Records(ZoneId)}?type=A");
        Server.AddGlobalKey("ops@example.com", "secretkey42", ZoneId);
        await Api.GetAsync("zones", h =>
        {
            h.Add("X-Auth-Email", "ops@example.com");
            h.Add("X-Auth-Key", "secretkey42");
        });

        var text = await Http.GetStringAsync("__emulator/requests");
        var log = JsonSerializer.Deserialize<RequestLogEntry[]>(text, JsonSerializerOptions.Web)!;

        Assert.That(text, Does.Not.Contain(Token).And.Not.Contain("secretkey42"));
        Assert.That(log.Select(e => e.Method), Is.EqualTo(new[] { "POST", "PATCH", "GET", "GET" }));
        Assert.That(log[0].Credential, Is.EqualTo(EmulatorServer.TokenIdentity(Token)));
        Assert.That(log[0].RecordIds, Is.EqualTo(new[] { id }));
        Assert.That(log[1].RecordIds, Is.EqualTo(new[] { id }));
        Assert.That(log[2].Query, Is.EqualTo("?type=A"));
        Assert.That(log[2].Path, Is.EqualTo($"/zones/{ZoneId}/dns_records"));
        Assert.That(log[2].Status, Is.EqualTo(200));
        Assert.That(log[3].Credential, Is.EqualTo("key:ops@example.com"));
        Assert.That(Server.Requests, Has.Count.EqualTo(4));
    }

    [Test]
    public async Task Reset_forgets_everything_but_the_seeded_zones()
    {
        await Api.CreateIdAsync(ZoneId, new { type = "A", name = "www", content = "192.0.2.1" });
        Server.AddFault(new FaultRule { Kind = FaultKind.ServerError });

        var reset = await Http.PostAsync("__emulator/reset", null);

        var seeded = await new CfApi(Http, "seed-token").GetAsync("zones?name=seeded.test");
        var oldToken = await Api.GetAsync("zones");
        Assert.That(reset.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(seeded.Items, Has.Count.EqualTo(1), "seeded zone back, and the fault is gone");
        Assert.That(oldToken.Status, Is.EqualTo(HttpStatusCode.Forbidden), "zones and tokens added after start are forgotten");
        Assert.That(Server.Requests.Select(r => r.Path), Is.EqualTo(new[] { "/zones", "/zones" }));
    }
}
