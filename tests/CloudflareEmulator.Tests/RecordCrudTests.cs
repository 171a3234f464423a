using System.Net;

namespace DnsSync.CloudflareEmulator.Tests;

public sealed class RecordCrudTests : EmulatorTestBase
{
    private const string MicrosecondTimestamp = @"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$";

    [TestCase("@", "example.com")]
    [TestCase("www", "www.example.com")]
    [TestCase("a.b", "a.b.example.com")]
    [TestCase("www.example.com", "www.example.com")]
    [TestCase("WWW.Example.COM.", "www.example.com")]
    [TestCase("Example.com.", "example.com")]
    [TestCase("_acme-challenge", "_acme-challenge.example.com")]
    [TestCase("*.Dev", "*.dev.example.com")]
    [TestCase("Bücher", "xn--bcher-kva.example.com")]
    public async Task Create_normalises_the_name_to_a_lower_case_fqdn(string name, string expected)
    {
        var response = await Api.CreateAsync(ZoneId, new { type = "TXT", name, content = "x" });

        Assert.That(response.Result.GetProperty("name").GetString(), Is.EqualTo(expected));
    }

    [TestCase("www.other.org.")]
    [TestCase("bad..name")]
    [TestCase("-bad")]
    [TestCase("sp ace")]
    public async Task Invalid_name_answers_9000(string name)
    {
        var response = await Api.CreateAsync(ZoneId, new { type = "TXT", name, content = "x" });

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Codes, Does.Contain(9000));
    }

    [Test]
    public async Task Create_returns_the_record_in_cloudflare_shape()
    {
        var response = await Api.CreateAsync(ZoneId, new { type = "A", name = "www", content = "192.0.2.1", ttl = 300 });
        var r = response.Result;

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(r.GetProperty("id").GetString(), Does.Match("^[0-9a-f]{32}$"));
        Assert.That(r.GetProperty("type").GetString(), Is.EqualTo("A"));
        Assert.That(r.GetProperty("content").GetString(), Is.EqualTo("192.0.2.1"));
        Assert.That(r.GetProperty("proxiable").GetBoolean(), Is.True);
        Assert.That(r.GetProperty("proxied").GetBoolean(), Is.False);
        Assert.That(r.GetProperty("ttl").GetInt32(), Is.EqualTo(300));
        Assert.That(r.GetProperty("comment").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Null));
        Assert.That(r.GetProperty("tags").GetArrayLength(), Is.Zero);
        Assert.That(r.GetProperty("settings").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Object));
        Assert.That(r.GetProperty("meta").GetProperty("auto_added").GetBoolean(), Is.False);
        Assert.That(r.GetProperty("created_on").GetString(), Does.Match(MicrosecondTimestamp));
        Assert.That(r.GetProperty("modified_on").GetString(), Does.Match(MicrosecondTimestamp));
        Assert.That(r.TryGetProperty("zone_id", out _), Is.False);
        Assert.That(Server.Records(ZoneId).Single().Id, Is.EqualTo(response.Id));
    }

    [TestCase("2001:DB8:0:0:0:0:0:1", "2001:db8::1")]
    [TestCase("2001:0db8:0000:0000:0000:ff00:0042:8329", "2001:db8::ff00:42:8329")]
    [TestCase("::1", "::1")]
    public async Task Aaaa_content_is_stored_in_canonical_compressed_form(string given, string expected)
    {
        var response = await Api.CreateAsync(ZoneId, new { type = "AAAA", name = "v6", content = given });

        Assert.That(response.Result.GetProperty("content").GetString(), Is.EqualTo(expected));
    }

    [Test]
    public async Task Cname_target_is_lower_cased_without_trailing_dot()
    {
        var response = await Api.CreateAsync(ZoneId, new { type = "CNAME", name = "alias", content = "Target.Example.NET." });

        Assert.That(response.Result.GetProperty("content").GetString(), Is.EqualTo("target.example.net"));
        Assert.That(response.Result.GetProperty("settings").GetProperty("flatten_cname").GetBoolean(), Is.False);
    }

    [Test]
    public async Task Txt_content_is_stored_exactly_as_given()
    {
        const string content = "\"v=spf1 include:_spf.Example.com ~all\"  ";

        var response = await Api.CreateAsync(ZoneId, new { type = "TXT", name = "@", content });

        Assert.That(response.Result.GetProperty("content").GetString(), Is.EqualTo(content));
        Assert.That(response.Result.GetProperty("proxiable").GetBoolean(), Is.False);
    }

    [Test]
    public async Task Proxied_record_reads_back_ttl_1()
    {
        var id = await Api.CreateIdAsync(ZoneId, new { type = "A", name = "www", content = "192.0.2.1", ttl = 3600, proxied = true });

        var response = await Api.GetAsync(CfApi.Record(ZoneId, id));

        Assert.That(response.Result.GetProperty("ttl").GetInt32(), Is.EqualTo(1));
        Assert.That(response.Result.GetProperty("proxied").GetBoolean(), Is.True);
    }

    [Test]
    public async Task Get_returns_the_stored_record()
    {
        var id = await Api.CreateIdAsync(ZoneId, new { type = "MX", name = "@", content = "Mail.Example.com", priority = 10 });

        var response = await Api.GetAsync(CfApi.Record(ZoneId, id));

        Assert.That(response.Id, Is.EqualTo(id));
        Assert.That(response.Result.GetProperty("content").GetString(), Is.EqualTo("mail.example.com"));
        Assert.That(response.Result.GetProperty("priority").GetInt32(), Is.EqualTo(10));
    }

    [Test]
    public async Task Unknown_record_answers_404_81044_for_every_verb()
    {
        var path = CfApi.Record(ZoneId, Guid.NewGuid().ToString("N"));
        var body = new { type = "A", name = "www", content = "192.0.2.1" };

        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Put, HttpMethod.Patch, HttpMethod.Delete })
        {
            var response = await Api.SendAsync(method, path, method == HttpMethod.Get || method == HttpMethod.Delete ? null : body);
            Assert.That(response.Status, Is.EqualTo(HttpStatusCode.NotFound), method.Method);
            Assert.That(response.Codes, Is.EqualTo(new[] { 81044 }), method.Method);
        }
    }

    [Test]
    public async Task Malformed_record_id_answers_7003()
    {
        var response = await Api.GetAsync(CfApi.Record(ZoneId, "12345"));

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Codes, Is.EqualTo(new[] { 7003, 7000 }));
    }

    [Test]
    public async Task Put_replaces_the_whole_record_and_omitted_fields_get_defaults()
    {
        var created = await Api.CreateAsync(ZoneId, new { type = "A", name = "www", content = "192.0.2.1", ttl = 600, proxied = true, comment = "keep?" });
        await WaitForClockTickAsync(created);

        var response = await Api.SendAsync(HttpMethod.Put, CfApi.Record(ZoneId, created.Id), new { type = "A", name = "www", content = "192.0.2.2" });

        var r = response.Result;
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(r.GetProperty("id").GetString(), Is.EqualTo(created.Id));
        Assert.That(r.GetProperty("content").GetString(), Is.EqualTo("192.0.2.2"));
        Assert.That(r.GetProperty("proxied").GetBoolean(), Is.False);
        Assert.That(r.GetProperty("ttl").GetInt32(), Is.EqualTo(1));
        Assert.That(r.GetProperty("comment").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Null));
        Assert.That(r.GetProperty("created_on").GetString(), Is.EqualTo(created.Result.GetProperty("created_on").GetString()));
        Assert.That(r.GetProperty("modified_on").GetString(), Is.Not.EqualTo(created.Result.GetProperty("modified_on").GetString()));
    }

    [Test]
    public async Task Put_without_required_fields_is_refused()
    {
        var id = await Api.CreateIdAsync(ZoneId, new { type = "A", name = "www", content = "192.0.2.1" });

        var response = await Api.SendAsync(HttpMethod.Put, CfApi.Record(ZoneId, id), new { content = "192.0.2.2" });

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(Server.Records(ZoneId).Single().Content, Is.EqualTo("192.0.2.1"));
    }

    [Test]
    public async Task Patch_changes_only_the_fields_sent()
    {
        var id = await Api.CreateIdAsync(ZoneId, new { type = "A", name = "www", content = "192.0.2.1", ttl = 600, comment = "web" });

        var response = await Api.SendAsync(HttpMethod.Patch, CfApi.Record(ZoneId, id), new { content = "192.0.2.9" });

        var r = response.Result;
        Assert.That(r.GetProperty("content").GetString(), Is.EqualTo("192.0.2.9"));
        Assert.That(r.GetProperty("ttl").GetInt32(), Is.EqualTo(600));
        Assert.That(r.GetProperty("comment").GetString(), Is.EqualTo("web"));
        Assert.That(r.GetProperty("name").GetString(), Is.EqualTo("www.example.com"));
    }

    [Test]
    public async Task Patch_to_proxied_forces_ttl_1()
    {
        var id = await Api.CreateIdAsync(ZoneId, new { type = "A", name = "www", content = "192.0.2.1", ttl = 600 });

        var response = await Api.SendAsync(HttpMethod.Patch, CfApi.Record(ZoneId, id), new { proxied = true });

        Assert.That(response.Result.GetProperty("ttl").GetInt32(), Is.EqualTo(1));
    }

    [Test]
    public async Task Delete_returns_the_id_and_the_record_is_gone()
    {
        var id = await Api.CreateIdAsync(ZoneId, new { type = "A", name = "www", content = "192.0.2.1" });

        var deleted = await Api.SendAsync(HttpMethod.Delete, CfApi.Record(ZoneId, id), null);
        var after = await Api.GetAsync(CfApi.Record(ZoneId, id));

        Assert.That(deleted.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(deleted.Id, Is.EqualTo(id));
        Assert.That(after.Status, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(Server.Records(ZoneId), Is.Empty);
    }

    [Test]
    public async Task Malformed_json_answers_6007()
    {
        var response = await Api.SendAsync(HttpMethod.Post, CfApi.Records(ZoneId), "{not json");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.FirstCode, Is.EqualTo(6007));
    }

    // modified_on has microsecond resolution; make sure the clock has moved past the creation time.
    private static Task WaitForClockTickAsync(CfResponse created)
    {
        var createdOn = DateTimeOffset.Parse(created.Result.GetProperty("created_on").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        return WaitUntilAsync(() => DateTimeOffset.UtcNow > createdOn.AddTicks(10));
    }
}
