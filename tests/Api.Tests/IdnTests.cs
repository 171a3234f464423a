using Dapper;

namespace DnsSync.Api.Tests;

/// <summary>Unicode zone and record names are stored as punycode by UTS-46 (non-transitional, IDNA2008).</summary>
public sealed class IdnTests : ApiTestBase
{
    [Test]
    public async Task Unicode_zone_and_record_names_become_punycode()
    {
        var zone = $"bücher-{Guid.NewGuid():N}"[..15] + ".de";
        var expectedZone = new System.Globalization.IdnMapping().GetAscii(zone);
        var created = (await PostAsync("/api/v1/domains/create", new { domain = zone.ToUpperInvariant() })).AssertOk().Data;
        Assert.That(created.GetProperty("domain").GetString(), Is.EqualTo(expectedZone).And.StartWith("xn--bcher-"));
        var domainId = created.GetProperty("id").GetInt64();
        var keyId = await CreateApiKeyAsync();
        (await PostAsync("/api/v1/dns/providers/bind", new { domainId, provider = "cloudflare", providerZoneId = "zone-idn", apiKeyId = keyId })).AssertOk();

        // Relative and absolute Unicode names, with upper case and a full-width letter that UTS-46 maps.
        var record = (await CreateRecordAsync(domainId, "A", $"Straße.{zone}.", "192.0.2.1")).AssertOk().Data;
        Assert.That(record.GetProperty("name").GetString(), Is.EqualTo("xn--strae-oqa"), "ß stays ß (IDNA2008), not 'ss'");
        Assert.That(record.GetProperty("fqdn").GetString(), Is.EqualTo($"xn--strae-oqa.{expectedZone}"));
        Assert.That((await CreateRecordAsync(domainId, "A", "ＳＨＯＰ", "192.0.2.2")).AssertOk().Data.GetProperty("name").GetString(), Is.EqualTo("shop"));
        Assert.That((await CreateRecordAsync(domainId, "CNAME", "alias", "bücher.example.")).AssertOk().Data.GetProperty("value").GetString(),
            Is.EqualTo("xn--bcher-kva.example"));

        var listed = (await GetAsync($"/api/v1/dns/records?domainId={domainId}&name={Uri.EscapeDataString("STRASSE")}")).AssertOk().Data;
        Assert.That(listed.GetProperty("total").GetInt64(), Is.Zero, "'strasse' is another name than 'straße'");
        listed = (await GetAsync($"/api/v1/dns/records?domainId={domainId}&name={Uri.EscapeDataString("straße")}")).AssertOk().Data;
        Assert.That(listed.GetProperty("total").GetInt64(), Is.EqualTo(1));
    }

    [Test]
    public async Task Bucher_de_is_xn__bcher_kva_de_whatever_its_case()
    {
        // bücher.de may already exist from another test run of this fixture: the name, not the insert, is under test.
        var first = await PostAsync("/api/v1/domains/create", new { domain = "bücher.de" });
        var second = await PostAsync("/api/v1/domains/create", new { domain = "BÜCHER.DE." });
        await using var connection = await OpenAsync();
        Assert.That(await connection.QuerySingleAsync<long>("SELECT COUNT(*) FROM domains WHERE domain = 'xn--bcher-kva.de'"), Is.EqualTo(1));
        Assert.That(new[] { first.Status, second.Status }, Is.EquivalentTo(new[] { System.Net.HttpStatusCode.OK, System.Net.HttpStatusCode.Conflict }));
        Assert.That(second.Message, Does.Contain("xn--bcher-kva.de"));
    }

    [TestCase("a\u200Db", TestName = "Zero-width joiner outside its context")]
    [TestCase("\u0301x", TestName = "Leading combining mark")]
    public async Task Names_IDNA2008_disallows_are_400_and_write_nothing(string name)
    {
        var (domainId, _) = await SeedZoneAsync();
        var before = await RowCountsAsync();
        (await CreateRecordAsync(domainId, "A", name, "192.0.2.1")).AssertInvalid("name", "internationalised domain name");
        Assert.That(await RowCountsAsync(), Is.EqualTo(before));
    }
}
