using System.Net;

namespace DnsSync.CloudflareEmulator.Tests;

public sealed class ListTests : EmulatorTestBase
{
    [Test]
    public async Task Pages_follow_result_info_and_a_page_past_the_end_is_empty()
    {
        for (var i = 0; i < 12; i++) await Api.CreateIdAsync(ZoneId, new { type = "A", name = $"host{i}", content = "192.0.2.1" });

        var seen = new List<string>();
        for (var page = 1; page <= 3; page++)
        {
            var response = await Api.GetAsync($"{CfApi.Records(ZoneId)}?per_page=5&page={page}");
            var info = response.ResultInfo;
            Assert.That(info.GetProperty("page").GetInt32(), Is.EqualTo(page));
            Assert.That(info.GetProperty("per_page").GetInt32(), Is.EqualTo(5));
            Assert.That(info.GetProperty("count").GetInt32(), Is.EqualTo(page < 3 ? 5 : 2));
            Assert.That(info.GetProperty("total_count").GetInt32(), Is.EqualTo(12));
            Assert.That(info.GetProperty("total_pages").GetInt32(), Is.EqualTo(3));
            seen.AddRange(response.Items.Select(r => r.GetProperty("id").GetString()!));
        }

        var past = await Api.GetAsync($"{CfApi.Records(ZoneId)}?per_page=5&page=4");

        Assert.That(seen.Distinct().Count(), Is.EqualTo(12));
        Assert.That(past.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(past.Items, Is.Empty);
        Assert.That(past.ResultInfo.GetProperty("count").GetInt32(), Is.Zero);
        Assert.That(past.ResultInfo.GetProperty("total_count").GetInt32(), Is.EqualTo(12));
    }

    [Test]
    public async Task Empty_zone_still_carries_result_info()
    {
        var response = await Api.GetAsync(CfApi.Records(ZoneId));

        Assert.That(response.Items, Is.Empty);
        Assert.That(response.ResultInfo.GetProperty("per_page").GetInt32(), Is.EqualTo(100));
        Assert.That(response.ResultInfo.GetProperty("total_count").GetInt32(), Is.Zero);
    }

    [TestCase(2, 5)]
    [TestCase(5000, 5000)]
    [TestCase(50000, 5000)]
    public async Task Per_page_is_clamped_to_5_through_5000(int asked, int expected)
    {
        var response = await Api.GetAsync($"{CfApi.Records(ZoneId)}?per_page={asked}");

        Assert.That(response.ResultInfo.GetProperty("per_page").GetInt32(), Is.EqualTo(expected));
    }

    [TestCase("page=0")]
    [TestCase("page=x")]
    [TestCase("per_page=-1")]
    public async Task Invalid_paging_is_refused(string query)
    {
        var response = await Api.GetAsync($"{CfApi.Records(ZoneId)}?{query}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [TestCase("type=cname", new[] { "alias" })]
    [TestCase("type=A", new[] { "www", "api" })]
    [TestCase("name=WWW.example.com", new[] { "www", "www-txt" })]
    [TestCase("name=www.example.com.", new[] { "www", "www-txt" })]
    [TestCase("name.exact=api.example.com", new[] { "api" })]
    [TestCase("name.contains=LI", new[] { "alias" })]
    [TestCase("name.startswith=ap", new[] { "api" })]
    [TestCase("name.endswith=as.example.com", new[] { "alias" })]
    [TestCase("content=192.0.2.1", new[] { "www" })]
    [TestCase("content.exact=TARGET.example.net", new[] { "alias" })]
    [TestCase("content.contains=0.2", new[] { "www", "api" })]
    [TestCase("content.startswith=hello", new[] { "www-txt" })]
    [TestCase("content.endswith=.2", new[] { "api" })]
    [TestCase("proxied=true", new[] { "api" })]
    [TestCase("type=A&name=api.example.com", new[] { "api" })]
    [TestCase("type=CNAME&content=hello%20world&match=any", new[] { "alias", "www-txt" })]
    public async Task List_filters_select_the_expected_records(string query, string[] expectedTags)
    {
        var ids = await SeedAsync();

        var response = await Api.GetAsync($"{CfApi.Records(ZoneId)}?{query}");

        var expected = expectedTags.Select(t => ids[t]).Order();
        Assert.That(response.Items.Select(r => r.GetProperty("id").GetString()).Order(), Is.EqualTo(expected));
    }

    [Test]
    public async Task Order_and_direction_sort_the_list()
    {
        await Api.CreateIdAsync(ZoneId, new { type = "A", name = "b", content = "192.0.2.1", ttl = 300 });
        await Api.CreateIdAsync(ZoneId, new { type = "A", name = "c", content = "192.0.2.1", ttl = 120 });
        await Api.CreateIdAsync(ZoneId, new { type = "A", name = "a", content = "192.0.2.1", ttl = 600 });

        var byNameDesc = await Api.GetAsync($"{CfApi.Records(ZoneId)}?order=name&direction=desc");
        var byTtl = await Api.GetAsync($"{CfApi.Records(ZoneId)}?order=ttl&direction=asc");

        Assert.That(byNameDesc.Items.Select(r => r.GetProperty("name").GetString()), Is.EqualTo(new[] { "c.example.com", "b.example.com", "a.example.com" }));
        Assert.That(byTtl.Items.Select(r => r.GetProperty("ttl").GetInt32()), Is.EqualTo(new[] { 120, 300, 600 }));
    }

    [TestCase("v=spf1 include:_spf.example.com ~all")]
    [TestCase("\"quoted value\" with spaces")]
    [TestCase("a+b=c&d=e")]
    [TestCase("k=v; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC+/x==")]
    public async Task Url_encoded_content_filter_finds_txt_with_special_characters(string content)
    {
        var id = await Api.CreateIdAsync(ZoneId, new { type = "TXT", name = "@", content });
        await Api.CreateIdAsync(ZoneId, new { type = "TXT", name = "@", content = "decoy" });

        var response = await Api.GetAsync($"{CfApi.Records(ZoneId)}?type=TXT&content={Uri.EscapeDataString(content)}");

        Assert.That(response.Items.Select(r => r.GetProperty("id").GetString()), Is.EqualTo(new[] { id }));
    }

    [Test]
    public async Task Unencoded_plus_in_a_filter_is_read_as_a_space()
    {
        await Api.CreateIdAsync(ZoneId, new { type = "TXT", name = "@", content = "a+b" });

        var response = await Api.GetAsync($"{CfApi.Records(ZoneId)}?content=a+b");

        Assert.That(response.Items, Is.Empty, "a client that forgets to encode '+' must not find the record");
    }

    private async Task<Dictionary<string, string>> SeedAsync() => new()
    {
        ["www"] = await Api.CreateIdAsync(ZoneId, new { type = "A", name = "www", content = "192.0.2.1" }),
        ["api"] = await Api.CreateIdAsync(ZoneId, new { type = "A", name = "api", content = "198.51.100.2", proxied = true }),
        ["alias"] = await Api.CreateIdAsync(ZoneId, new { type = "CNAME", name = "alias", content = "target.example.net" }),
        ["www-txt"] = await Api.CreateIdAsync(ZoneId, new { type = "TXT", name = "www", content = "hello world" }),
    };
}
