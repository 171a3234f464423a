using System.Net;

namespace DnsSync.CloudflareEmulator.Tests;

public sealed class ValidationTests : EmulatorTestBase
{
    [TestCase("1.2.3")]
    [TestCase("1.2.3.256")]
    [TestCase("::1")]
    [TestCase("")]
    [TestCase("www.example.com")]
    public async Task Invalid_a_content_is_1004_wrapping_9005(string content)
    {
        var response = await Api.CreateAsync(ZoneId, new { type = "A", name = "www", content });

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Codes, Is.EqualTo(new[] { 1004, 9005 }));
        Assert.That(Server.Records(ZoneId), Is.Empty);
    }

    [TestCase("192.0.2.1")]
    [TestCase("2001:db8::g")]
    [TestCase("fe80::1%eth0")]
    public async Task Invalid_aaaa_content_is_1004_wrapping_9006(string content)
    {
        var response = await Api.CreateAsync(ZoneId, new { type = "AAAA", name = "www", content });

        Assert.That(response.Codes, Is.EqualTo(new[] { 1004, 9006 }));
    }

    [Test]
    public async Task Address_errors_can_be_top_level_instead_of_wrapped()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { WrapAddressErrors = false });
        var zoneId = server.AddZone(Zone, Token);
        using var http = new HttpClient { BaseAddress = server.BaseUrl };

        var response = await new CfApi(http, Token).CreateAsync(zoneId, new { type = "A", name = "www", content = "nope" });

        Assert.That(response.Codes, Is.EqualTo(new[] { 9005 }));
    }

    [TestCase(0)]
    [TestCase(30)]
    [TestCase(59)]
    [TestCase(86401)]
    public async Task Ttl_outside_1_or_60_to_86400_answers_9021(int ttl)
    {
        var response = await Api.CreateAsync(ZoneId, new { type = "A", name = "www", content = "192.0.2.1", ttl });

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Codes, Does.Contain(9021));
    }

    [TestCase(1)]
    [TestCase(60)]
    [TestCase(86400)]
    public async Task Ttl_1_or_60_to_86400_is_accepted(int ttl)
    {
        var response = await Api.CreateAsync(ZoneId, new { type = "A", name = "www", content = "192.0.2.1", ttl });

        Assert.That(response.Result.GetProperty("ttl").GetInt32(), Is.EqualTo(ttl));
    }

    [TestCase("TXT", "hello")]
    [TestCase("MX", "mail.example.com")]
    public async Task Proxying_a_non_proxiable_type_answers_9004(string type, string content)
    {
        var response = await Api.CreateAsync(ZoneId, new { type, name = "www", content, proxied = true, priority = 10 });

        Assert.That(response.Codes, Does.Contain(9004));
    }

    [TestCase("A", "192.0.2.1")]
    [TestCase("AAAA", "2001:db8::1")]
    [TestCase("CNAME", "target.example.net")]
    public async Task Cname_where_an_address_or_cname_exists_answers_81053(string existingType, string existingContent)
    {
        await Api.CreateIdAsync(ZoneId, new { type = existingType, name = "www", content = existingContent });

        var response = await Api.CreateAsync(ZoneId, new { type = "CNAME", name = "www", content = "other.example.net" });

        Assert.That(response.Codes, Is.EqualTo(new[] { 81053 }));
    }

    [TestCase("A", "192.0.2.1")]
    [TestCase("AAAA", "2001:db8::1")]
    public async Task Address_where_a_cname_exists_answers_81054(string type, string content)
    {
        await Api.CreateIdAsync(ZoneId, new { type = "CNAME", name = "www", content = "target.example.net" });

        var response = await Api.CreateAsync(ZoneId, new { type, name = "WWW.example.com.", content });

        Assert.That(response.Codes, Is.EqualTo(new[] { 81054 }));
    }

    [Test]
    public async Task Several_addresses_at_one_name_are_fine()
    {
        await Api.CreateIdAsync(ZoneId, new { type = "A", name = "www", content = "192.0.2.1" });
        await Api.CreateIdAsync(ZoneId, new { type = "A", name = "www", content = "192.0.2.2" });
        await Api.CreateIdAsync(ZoneId, new { type = "AAAA", name = "www", content = "2001:db8::1" });

        Assert.That(Server.Records(ZoneId), Has.Count.EqualTo(3));
    }

    [Test]
    public async Task Cname_and_txt_may_share_a_name()
    {
        await Api.CreateIdAsync(ZoneId, new { type = "CNAME", name = "www", content = "target.example.net" });

        var response = await Api.CreateAsync(ZoneId, new { type = "TXT", name = "www", content = "verification" });

        Assert.That(response.Success, Is.True);
    }

    [Test]
    public async Task Identical_record_answers_81058_even_when_written_differently()
    {
        await Api.CreateIdAsync(ZoneId, new { type = "AAAA", name = "www", content = "2001:db8::1" });

        var response = await Api.CreateAsync(ZoneId, new { type = "AAAA", name = "WWW.EXAMPLE.COM.", content = "2001:DB8:0::1" });

        Assert.That(response.Codes, Is.EqualTo(new[] { 81058 }));
        Assert.That(Server.Records(ZoneId), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Txt_differing_only_in_case_is_not_identical()
    {
        await Api.CreateIdAsync(ZoneId, new { type = "TXT", name = "www", content = "Token" });

        var response = await Api.CreateAsync(ZoneId, new { type = "TXT", name = "www", content = "token" });

        Assert.That(response.Success, Is.True);
    }

    [Test]
    public async Task Patch_into_a_conflict_is_refused_and_changes_nothing()
    {
        await Api.CreateIdAsync(ZoneId, new { type = "CNAME", name = "alias", content = "target.example.net" });
        var id = await Api.CreateIdAsync(ZoneId, new { type = "A", name = "www", content = "192.0.2.1" });

        var response = await Api.SendAsync(HttpMethod.Patch, CfApi.Record(ZoneId, id), new { name = "alias" });

        Assert.That(response.Codes, Is.EqualTo(new[] { 81054 }));
        Assert.That(Server.Records(ZoneId).Single(r => r.Id == id).Name, Is.EqualTo("www.example.com"));
    }

    [Test]
    public async Task Tags_on_the_free_plan_answer_9300()
    {
        var response = await Api.CreateAsync(ZoneId, new { type = "A", name = "www", content = "192.0.2.1", tags = new[] { "owner:dns-sync", "env:test" } });

        Assert.That(response.Codes, Is.EqualTo(new[] { 9300 }));
        Assert.That(response.Body.GetProperty("errors")[0].GetProperty("message").GetString(), Does.Contain("2 tags"));
    }

    [Test]
    public async Task Comment_is_stored_and_over_long_comment_is_refused()
    {
        var ok = await Api.CreateAsync(ZoneId, new { type = "A", name = "www", content = "192.0.2.1", comment = "managed by dns-sync" });
        var tooLong = await Api.CreateAsync(ZoneId, new { type = "A", name = "www2", content = "192.0.2.1", comment = new string('x', 101) });

        Assert.That(ok.Result.GetProperty("comment").GetString(), Is.EqualTo("managed by dns-sync"));
        Assert.That(tooLong.Status, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task Record_quota_per_zone_answers_81045()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { RecordQuotaPerZone = 2 });
        var zoneId = server.AddZone(Zone, Token);
        using var http = new HttpClient { BaseAddress = server.BaseUrl };
        var api = new CfApi(http, Token);
        await api.CreateIdAsync(zoneId, new { type = "A", name = "a", content = "192.0.2.1" });
        await api.CreateIdAsync(zoneId, new { type = "A", name = "b", content = "192.0.2.1" });

        var response = await api.CreateAsync(zoneId, new { type = "A", name = "c", content = "192.0.2.1" });

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Codes, Is.EqualTo(new[] { 81045 }));
        Assert.That(server.Records(zoneId), Has.Count.EqualTo(2));
    }

    [TestCase("CNAME", "not a host")]
    [TestCase("CNAME", "")]
    public async Task Invalid_cname_target_answers_9007(string type, string content)
    {
        var response = await Api.CreateAsync(ZoneId, new { type, name = "alias", content });

        Assert.That(response.Codes, Is.EqualTo(new[] { 9007 }));
    }
}
