using System.Net;

namespace DnsSync.Api.Tests;

/// <summary>Every create/update rule answers 400 with the field and an actionable message, and writes nothing.</summary>
public sealed class RecordValidationTests : ApiTestBase
{
    private long _domainId;
    private string _zone = "";

    [OneTimeSetUp]
    public async Task SeedAsync() => (_domainId, _zone) = await SeedZoneAsync();

    private static IEnumerable<TestCaseData> InvalidCreates()
    {
        object Body(string? type = "A", string? name = "www", string? value = "192.0.2.1", int? ttl = null, bool? proxied = null,
            string? ownerType = "external", long? ownerId = 1, bool withDomain = true) =>
            new { domainId = withDomain ? (long?)-1 : null, type, name, value, ttl, proxied, ownerType, ownerId };
        yield return new TestCaseData(Body(type: "MX"), "type", "type must be one of A, AAAA, CNAME, TXT").SetName("Unknown type");
        yield return new TestCaseData(Body(type: null), "type", "type must be one of").SetName("Missing type");
        yield return new TestCaseData(Body(name: ""), "name", "name is required").SetName("Empty name");
        yield return new TestCaseData(Body(name: "bad_label-.x"), "name", "must not start or end with '-'").SetName("Label ends with dash");
        yield return new TestCaseData(Body(name: "www.other.org."), "name", "not inside the zone").SetName("Absolute name outside zone");
        yield return new TestCaseData(Body(name: "a..b"), "name", "1 to 63 characters").SetName("Empty label");
        yield return new TestCaseData(Body(name: "sp ace"), "name", "may contain only letters, digits").SetName("Space in name");
        yield return new TestCaseData(Body(name: new string('a', 64)), "name", "1 to 63 characters").SetName("Label too long");
        yield return new TestCaseData(Body(value: "300.1.1.1"), "value", "is not an IPv4 address").SetName("A value not IPv4");
        yield return new TestCaseData(Body(value: "2001:db8::1"), "value", "is not an IPv4 address").SetName("A value is IPv6");
        yield return new TestCaseData(Body(value: null), "value", "is not an IPv4 address").SetName("A value missing");
        yield return new TestCaseData(Body(type: "AAAA", value: "192.0.2.1"), "value", "is not an IPv6 address").SetName("AAAA value is IPv4");
        yield return new TestCaseData(Body(type: "CNAME", value: "not a host!"), "value", "is not a host name").SetName("CNAME value not a host");
        yield return new TestCaseData(Body(type: "TXT", value: ""), "value", "1 to 2048 characters").SetName("TXT empty");
        yield return new TestCaseData(Body(type: "TXT", value: new string('x', 2049)), "value", "1 to 2048 characters").SetName("TXT too long");
        yield return new TestCaseData(Body(type: "TXT", value: "line\nbreak"), "value", "line breaks").SetName("TXT line break");
        yield return new TestCaseData(Body(ttl: 0), "ttl", "ttl must be 1 (automatic) or 60 to 86400 (got 0)").SetName("TTL 0");
        yield return new TestCaseData(Body(ttl: 59), "ttl", "(got 59)").SetName("TTL 59");
        yield return new TestCaseData(Body(ttl: 86401), "ttl", "(got 86401)").SetName("TTL 86401");
        yield return new TestCaseData(Body(type: "TXT", value: "t", proxied: true), "proxied", "proxied is only allowed for A, AAAA, CNAME records, not TXT").SetName("Proxied TXT");
        yield return new TestCaseData(Body(ownerType: "robot"), "ownerType", "ownerType must be one of node_group, line_group, website_domain, acme_challenge, external").SetName("Unknown owner type");
        yield return new TestCaseData(Body(ownerType: null), "ownerType", "ownerType must be one of").SetName("Missing owner type");
        yield return new TestCaseData(Body(ownerId: -1), "ownerId", "ownerId is required and must be an integer of at least 0").SetName("Negative owner id");
        yield return new TestCaseData(Body(ownerId: null), "ownerId", "ownerId is required").SetName("Missing owner id");
        yield return new TestCaseData(Body(withDomain: false), "domainId", "domainId is required and must be a positive integer").SetName("Missing domain id");
    }

    [TestCaseSource(nameof(InvalidCreates))]
    public async Task Create_rejects_invalid_field_and_writes_nothing(object template, string field, string message)
    {
        var body = WithDomain(template, _domainId);
        var before = await RowCountsAsync();
        (await PostAsync("/api/v1/dns/records/create", body)).AssertInvalid(field, message);
        Assert.That(await RowCountsAsync(), Is.EqualTo(before));
    }

    [Test]
    public async Task Create_lists_every_invalid_field_at_once()
    {
        var reply = (await PostAsync("/api/v1/dns/records/create",
            new { domainId = _domainId, type = "A", name = "", value = "nope", ttl = 5, ownerType = "x", ownerId = -3 })).AssertError(HttpStatusCode.BadRequest);
        Assert.That(reply.FieldErrors.Keys, Is.EquivalentTo(new[] { "name", "value", "ttl", "ownerType", "ownerId" }));
        Assert.That(reply.Message, Does.StartWith("invalid request: "));
    }

    [Test]
    public async Task Create_in_unknown_domain_is_400()
    {
        var before = await RowCountsAsync();
        (await CreateRecordAsync(999_999, "A", "www", "192.0.2.1")).AssertInvalid("domainId", "domain 999999 does not exist");
        Assert.That(await RowCountsAsync(), Is.EqualTo(before));
    }

    [Test]
    public async Task Create_in_inactive_domain_is_400()
    {
        var keyId = await CreateApiKeyAsync();
        var domainId = await CreateDomainAsync(NewZone(), status: "inactive");
        (await PostAsync("/api/v1/dns/providers/bind", new { domainId, provider = "cloudflare", providerZoneId = "z1", apiKeyId = keyId })).AssertOk();
        (await CreateRecordAsync(domainId, "A", "www", "192.0.2.1")).AssertInvalid("domainId", "is inactive");
    }

    [Test]
    public async Task Create_in_domain_without_provider_is_400()
    {
        var domainId = await CreateDomainAsync(NewZone());
        (await CreateRecordAsync(domainId, "A", "www", "192.0.2.1")).AssertInvalid("domainId", "has no DNS provider");
    }

    [Test]
    public async Task Create_in_domain_with_inactive_binding_or_key_is_400()
    {
        var (domainId, _) = await SeedZoneAsync();
        await ExecAsync("UPDATE domain_dns_providers SET status = 'inactive' WHERE domain_id = @domainId", new { domainId });
        (await CreateRecordAsync(domainId, "A", "www", "192.0.2.1")).AssertInvalid("domainId", "binding");

        var inactiveKey = await CreateApiKeyAsync(status: "inactive");
        (await PostAsync("/api/v1/dns/providers/bind", new { domainId, provider = "cloudflare", providerZoneId = "z2", apiKeyId = inactiveKey })).AssertOk();
        (await CreateRecordAsync(domainId, "A", "www", "192.0.2.1")).AssertInvalid("domainId", "API key");
    }

    [Test]
    public async Task Domain_state_is_checked_on_every_create_not_cached()
    {
        var (domainId, _) = await SeedZoneAsync();
        (await CreateRecordAsync(domainId, "A", "first", "192.0.2.1")).AssertOk();
        await ExecAsync("UPDATE domains SET status = 'inactive' WHERE id = @domainId", new { domainId });
        var before = await RowCountsAsync();
        (await CreateRecordAsync(domainId, "A", "second", "192.0.2.2")).AssertInvalid("domainId", "is inactive");
        (await CreateRecordAsync(domainId, "TXT", "second", "t")).AssertInvalid("domainId", "is inactive");
        Assert.That(await RowCountsAsync(), Is.EqualTo(before));
        await ExecAsync("UPDATE domains SET status = 'active' WHERE id = @domainId", new { domainId });
        (await CreateRecordAsync(domainId, "A", "second", "192.0.2.2")).AssertOk();
    }

    [Test]
    public async Task Update_rules_answer_400_and_write_nothing()
    {
        var txt = (await CreateRecordAsync(_domainId, "TXT", "upd-rules", "v")).AssertOk().Data.GetProperty("id").GetInt64();
        var a = (await CreateRecordAsync(_domainId, "A", "upd-rules", "192.0.2.1")).AssertOk().Data.GetProperty("id").GetInt64();
        var before = await RowCountsAsync();

        (await PostAsync("/api/v1/dns/records/update", new { id = a })).AssertInvalid("value", "give at least one of value, ttl, proxied");
        (await PostAsync("/api/v1/dns/records/update", new { value = "192.0.2.2" })).AssertInvalid("id", "id is required");
        (await PostAsync("/api/v1/dns/records/update", new { id = a, ttl = 30 })).AssertInvalid("ttl", "(got 30)");
        (await PostAsync("/api/v1/dns/records/update", new { id = a, value = "999.0.0.1" })).AssertInvalid("value", "is not an IPv4 address");
        (await PostAsync("/api/v1/dns/records/update", new { id = txt, proxied = true })).AssertInvalid("proxied", "not TXT");
        (await PostAsync("/api/v1/dns/records/update", new { id = txt, value = "" })).AssertInvalid("value", "1 to 2048");

        Assert.That(await RowCountsAsync(), Is.EqualTo(before));
    }

    /// <summary>The test case bodies carry -1 for "the fixture's domain" (the domain only exists at run time).</summary>
    private static object WithDomain(object template, long domainId)
    {
        var json = System.Text.Json.JsonSerializer.SerializeToNode(template)!.AsObject();
        if (json["domainId"] is { } d && d.GetValue<long>() == -1) json["domainId"] = domainId;
        return json;
    }
}
