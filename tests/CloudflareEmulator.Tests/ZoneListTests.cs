namespace DnsSync.CloudflareEmulator.Tests;

/// <summary>GET /zones as zone sync clients use it: the credential's zones, 5–50 per page, paged by result_info.</summary>
public sealed class ZoneListTests : EmulatorTestBase
{
    [Test]
    public async Task Zone_list_pages_by_result_info_up_to_50_per_page_and_a_page_past_the_end_is_empty()
    {
        var names = Enumerable.Range(1, 54).Select(i => $"zone{i:D2}.test").ToList();
        foreach (var name in names) Server.AddZone(name, Token);

        var listed = new List<string>();
        for (var page = 1; page <= 2; page++)
        {
            var response = await Api.GetAsync($"zones?per_page=500&page={page}");
            Assert.That(response.ResultInfo.GetProperty("per_page").GetInt32(), Is.EqualTo(50), "per_page is clamped to 50");
            Assert.That(response.ResultInfo.GetProperty("total_count").GetInt32(), Is.EqualTo(55));
            Assert.That(response.ResultInfo.GetProperty("total_pages").GetInt32(), Is.EqualTo(2));
            listed.AddRange(response.Items.Select(z => z.GetProperty("name").GetString()!));
        }
        Assert.That(listed, Is.EquivalentTo(names.Append(Zone)));

        var past = await Api.GetAsync("zones?per_page=50&page=3");
        Assert.That(past.Success, Is.True);
        Assert.That(past.Items, Is.Empty);
    }

    [Test]
    public async Task Zone_list_default_page_holds_20_zones()
    {
        for (var i = 1; i <= 24; i++) Server.AddZone($"d{i:D2}.test", Token);

        var response = await Api.GetAsync("zones");

        Assert.That(response.Items, Has.Count.EqualTo(20));
        Assert.That(response.ResultInfo.GetProperty("per_page").GetInt32(), Is.EqualTo(20));
    }

    [Test]
    public async Task One_name_in_another_account_is_another_zone_with_its_own_records()
    {
        var moved = Server.AddZone(Zone, "other-account-token", account: "other");
        var other = new CfApi(Http, "other-account-token");

        Assert.That(moved, Is.Not.EqualTo(ZoneId));
        await other.CreateIdAsync(moved, new { type = "A", name = "www", content = "192.0.2.1" });
        Assert.That(Server.Records(moved), Has.Count.EqualTo(1));
        Assert.That(Server.Records(ZoneId), Is.Empty);
        var zones = await other.GetAsync("zones");
        Assert.That(zones.Items.Select(z => (z.GetProperty("id").GetString(), z.GetProperty("name").GetString())), Is.EqualTo(new[] { (moved, Zone) }));
    }
}
