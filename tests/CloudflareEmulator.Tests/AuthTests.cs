using System.Net;
using System.Net.Http.Headers;

namespace DnsSync.CloudflareEmulator.Tests;

public sealed class AuthTests : EmulatorTestBase
{
    [Test]
    public async Task Bearer_token_finds_its_zone_by_name()
    {
        var response = await Api.GetAsync("zones?name=example.com");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Items.Select(z => z.GetProperty("id").GetString()), Is.EqualTo(new[] { ZoneId }));
        Assert.That(response.ResultInfo.GetProperty("total_count").GetInt32(), Is.EqualTo(1));
    }

    [Test]
    public async Task Zone_list_shows_only_granted_zones()
    {
        Server.AddZone("other.org", "other-token");

        var response = await Api.GetAsync("zones");

        Assert.That(response.Items.Select(z => z.GetProperty("name").GetString()), Is.EqualTo(new[] { "example.com" }));
    }

    [Test]
    public async Task Missing_credentials_answer_6003_with_6103()
    {
        var response = await Api.GetAsync(CfApi.Records(ZoneId), _ => { });

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Codes, Is.EqualTo(new[] { 6003, 6103 }));
    }

    [TestCase("Basic dXNlcjpwYXNz")]
    [TestCase("Bearer")]
    [TestCase("Bearer two words")]
    public async Task Malformed_authorization_answers_6003_with_6111(string header)
    {
        var response = await Api.GetAsync(CfApi.Records(ZoneId), h => h.TryAddWithoutValidation("Authorization", header));

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Codes, Is.EqualTo(new[] { 6003, 6111 }));
    }

    [Test]
    public async Task Malformed_global_api_key_answers_6003_with_6103()
    {
        var response = await Api.GetAsync(CfApi.Records(ZoneId), h =>
        {
            h.Add("X-Auth-Email", "ops@example.com");
            h.Add("X-Auth-Key", "not a key!");
        });

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Codes, Is.EqualTo(new[] { 6003, 6103 }));
    }

    [Test]
    public async Task Unknown_token_is_refused_with_403_10000()
    {
        var response = await Api.GetAsync(CfApi.Records(ZoneId), h => h.Authorization = new AuthenticationHeaderValue("Bearer", "nope"));

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(response.Codes, Is.EqualTo(new[] { 10000 }));
    }

    [Test]
    public async Task Token_of_another_zone_is_refused_with_403_10000()
    {
        Server.AddZone("other.org", "other-token");

        var response = await Api.GetAsync(CfApi.Records(ZoneId), h => h.Authorization = new AuthenticationHeaderValue("Bearer", "other-token"));

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(response.FirstCode, Is.EqualTo(10000));
    }

    [Test]
    public async Task Global_api_key_reaches_only_its_zones()
    {
        var otherZone = Server.AddZone("other.org", "other-token");
        Server.AddGlobalKey("ops@example.com", "0123abcd", ZoneId);
        Action<HttpRequestHeaders> key = h =>
        {
            h.Add("X-Auth-Email", "ops@example.com");
            h.Add("X-Auth-Key", "0123abcd");
        };

        var own = await Api.GetAsync(CfApi.Records(ZoneId), key);
        var other = await Api.GetAsync(CfApi.Records(otherZone), key);
        var wrongKey = await Api.GetAsync(CfApi.Records(ZoneId), h =>
        {
            h.Add("X-Auth-Email", "ops@example.com");
            h.Add("X-Auth-Key", "ffff");
        });

        Assert.That(own.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(other.Status, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(wrongKey.Status, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task Token_verify_reports_an_active_token()
    {
        var response = await Api.GetAsync("user/tokens/verify");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Result.GetProperty("status").GetString(), Is.EqualTo("active"));
        Assert.That(response.Id, Does.Match("^[0-9a-f]{32}$"));
    }

    [Test]
    public async Task Token_verify_rejects_an_unknown_token()
    {
        var response = await Api.GetAsync("user/tokens/verify", h => h.Authorization = new AuthenticationHeaderValue("Bearer", "nope"));

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(response.FirstCode, Is.EqualTo(1000));
    }

    [TestCase("zones/not-an-id/dns_records")]
    [TestCase("zones/5ABABD603B22780302DD8D83498E5172/dns_records")]
    public async Task Malformed_zone_id_answers_7003_and_7000(string path)
    {
        var response = await Api.GetAsync(path);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Codes, Is.EqualTo(new[] { 7003, 7000 }));
    }

    [Test]
    public async Task Cloudflare_routes_are_also_served_under_client_v4()
    {
        var id = await Api.CreateIdAsync(ZoneId, new { type = "A", name = "www", content = "192.0.2.1" });

        var response = await Api.GetAsync($"client/v4/{CfApi.Record(ZoneId, id)}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Id, Is.EqualTo(id));
    }

    [Test]
    public async Task Unknown_route_answers_7000()
    {
        var response = await Api.GetAsync("accounts");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(response.FirstCode, Is.EqualTo(7000));
    }
}
