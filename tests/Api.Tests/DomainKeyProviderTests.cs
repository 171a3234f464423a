using System.Net;
using System.Text.Json;
using Dapper;
using DnsSync.Shared.Secrets;

namespace DnsSync.Api.Tests;

/// <summary>Domains, API keys and provider bindings.</summary>
public sealed class DomainKeyProviderTests : ApiTestBase
{
    [Test]
    public async Task Domain_create_normalises_and_get_and_list_show_the_binding()
    {
        var zone = NewZone();
        var created = (await PostAsync("/api/v1/domains/create", new { domain = zone.ToUpperInvariant() + "." })).AssertOk().Data;
        var id = created.GetProperty("id").GetInt64();
        Assert.That(created.GetProperty("domain").GetString(), Is.EqualTo(zone));
        Assert.That(created.GetProperty("status").GetString(), Is.EqualTo("active"));
        Assert.That(created.GetProperty("binding").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(created.GetProperty("createdAt").GetString(), Does.EndWith("Z"));

        var keyId = await CreateApiKeyAsync();
        (await PostAsync("/api/v1/dns/providers/bind", new { domainId = id, provider = "cloudflare", providerZoneId = "abc123", apiKeyId = keyId })).AssertOk();

        var got = (await GetAsync($"/api/v1/domains/{id}")).AssertOk().Data;
        var binding = got.GetProperty("binding");
        Assert.That(binding.GetProperty("provider").GetString(), Is.EqualTo("cloudflare"));
        Assert.That(binding.GetProperty("providerZoneId").GetString(), Is.EqualTo("abc123"));
        Assert.That(binding.GetProperty("apiKeyId").GetInt64(), Is.EqualTo(keyId));
        Assert.That(binding.GetProperty("status").GetString(), Is.EqualTo("active"));

        var list = (await GetAsync("/api/v1/domains?pageSize=100")).AssertOk().Data;
        var listed = list.GetProperty("list").EnumerateArray().Single(d => d.GetProperty("id").GetInt64() == id);
        Assert.That(listed.GetProperty("binding").GetProperty("apiKeyId").GetInt64(), Is.EqualTo(keyId));
        Assert.That(list.GetProperty("total").GetInt64(), Is.GreaterThanOrEqualTo(1));

        (await GetAsync("/api/v1/domains/987654")).AssertError(HttpStatusCode.NotFound);
    }

    [Test]
    public async Task Domain_create_rejects_duplicates_and_bad_names()
    {
        var zone = NewZone();
        await CreateDomainAsync(zone);
        var before = await RowCountsAsync();
        var dup = (await PostAsync("/api/v1/domains/create", new { domain = zone.ToUpperInvariant() })).AssertError(HttpStatusCode.Conflict);
        Assert.That(dup.Message, Does.Contain("already exists"));
        (await PostAsync("/api/v1/domains/create", new { domain = "localhost" })).AssertInvalid("domain", "is not a valid domain name");
        (await PostAsync("/api/v1/domains/create", new { domain = "bad_zone.com" })).AssertInvalid("domain", "is not a valid domain name");
        (await PostAsync("/api/v1/domains/create", new { })).AssertInvalid("domain", "is not a valid domain name");
        (await PostAsync("/api/v1/domains/create", new { domain = NewZone(), status = "paused" })).AssertInvalid("status", "active, inactive");
        (await GetAsync("/api/v1/domains?page=-1")).AssertInvalid("page", "at least 1");
        Assert.That(await RowCountsAsync(), Is.EqualTo(before));
    }

    [Test]
    public async Task Api_key_is_encrypted_at_rest_and_only_shown_masked()
    {
        const string token = "cf-very-secret-token-WXYZ";
        var created = (await PostAsync("/api/v1/api-keys/create", new { name = "Global key", provider = "cloudflare", apiToken = token, account = "ops@example.com" })).AssertOk();
        var id = created.Data.GetProperty("id").GetInt64();
        Assert.That(created.Data.GetProperty("apiToken").GetString(), Is.EqualTo("****WXYZ"));
        Assert.That(created.Data.GetProperty("account").GetString(), Is.EqualTo("ops@example.com"));
        Assert.That(created.Data.GetProperty("provider").GetString(), Is.EqualTo("cloudflare"));
        Assert.That(created.Data.GetProperty("status").GetString(), Is.EqualTo("active"));
        Assert.That(created.Text, Does.Not.Contain(token));

        await using var connection = await OpenAsync();
        var (stored, hint) = await connection.QuerySingleAsync<(string, string)>("SELECT api_token, api_token_hint FROM api_keys WHERE id = @id", new { id });
        Assert.That(stored, Does.StartWith("v2:"), "bound to its row");
        Assert.That(stored, Does.Not.Contain(token));
        Assert.That(hint, Is.EqualTo("****WXYZ"));
        var protector = SecretProtector.FromBase64(ApiFactory.SecretsKey);
        Assert.That(protector.Unprotect(stored, id), Is.EqualTo(token));
        Assert.Catch<System.Security.Cryptography.CryptographicException>(() => protector.Unprotect(stored, id + 1), "copied to another row it does not decrypt");

        var list = await GetAsync("/api/v1/api-keys?pageSize=100");
        list.AssertOk();
        Assert.That(list.Text, Does.Not.Contain(token));
        var listed = list.Data.GetProperty("list").EnumerateArray().Single(k => k.GetProperty("id").GetInt64() == id);
        Assert.That(listed.GetProperty("apiToken").GetString(), Is.EqualTo("****WXYZ"));
    }

    [Test]
    public async Task Lists_show_the_stored_hint_and_never_decrypt()
    {
        var id = await CreateApiKeyAsync("cf-token-hint-LMNO");
        // A ciphertext no key can read: a list that decrypted would fail or log; it shows the hint instead.
        await ExecAsync("UPDATE api_keys SET api_token = 'v2:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' WHERE id = @id", new { id });
        var list = (await GetAsync("/api/v1/api-keys?pageSize=100")).AssertOk();
        var listed = list.Data.GetProperty("list").EnumerateArray().Single(k => k.GetProperty("id").GetInt64() == id);
        Assert.That(listed.GetProperty("apiToken").GetString(), Is.EqualTo("****LMNO"));
        Assert.That(Factory.Logs.AllText(), Does.Not.Contain($"API key {id} cannot be decrypted"));
    }

    [TestCase("名前-token", TestName = "Non-ASCII token")]
    [TestCase("tab\tinside", TestName = "Control character in token")]
    [TestCase("257", TestName = "Token of 257 characters")]
    public async Task Api_key_token_must_be_printable_ascii_up_to_256_characters(string token)
    {
        token = token == "257" ? new string('t', 257) : token;
        var before = await RowCountsAsync();
        var reply = (await PostAsync("/api/v1/api-keys/create", new { name = "k", provider = "cloudflare", apiToken = token }))
            .AssertInvalid("apiToken", "1 to 256 printable ASCII characters");
        Assert.That(reply.Text, Does.Not.Contain(token));
        Assert.That(await RowCountsAsync(), Is.EqualTo(before));
        (await PostAsync("/api/v1/api-keys/create", new { name = "k", provider = "cloudflare", apiToken = new string('t', 256) })).AssertOk();
    }

    [Test]
    public async Task Api_key_written_in_plaintext_by_hand_still_lists_masked()
    {
        await ExecAsync("INSERT INTO api_keys (name, api_token, provider, status) VALUES ('Seed', 'plain-seed-token-9876', 'cloudflare', 'active')");
        var list = (await GetAsync("/api/v1/api-keys?pageSize=100")).AssertOk();
        var seed = list.Data.GetProperty("list").EnumerateArray().First(k => k.GetProperty("name").GetString() == "Seed");
        Assert.That(seed.GetProperty("apiToken").GetString(), Is.EqualTo("****9876"));
        Assert.That(seed.GetProperty("account").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(list.Text, Does.Not.Contain("plain-seed-token"));
    }

    [Test]
    public async Task Api_key_create_validates_and_never_echoes_the_token()
    {
        var before = await RowCountsAsync();
        (await PostAsync("/api/v1/api-keys/create", new { name = "", provider = "cloudflare", apiToken = "t" })).AssertInvalid("name", "1 to 128");
        (await PostAsync("/api/v1/api-keys/create", new { name = "k", provider = "route53", apiToken = "t" })).AssertInvalid("provider", "'cloudflare'");
        (await PostAsync("/api/v1/api-keys/create", new { name = "k", provider = "cloudflare" })).AssertInvalid("apiToken", "apiToken is required");
        var bad = (await PostAsync("/api/v1/api-keys/create", new { name = "k", provider = "cloudflare", apiToken = "secret-\u0001-token" + new string('x', 600) }))
            .AssertInvalid("apiToken", "printable");
        Assert.That(bad.Text, Does.Not.Contain("secret-"));
        (await PostAsync("/api/v1/api-keys/create", new { name = "k", provider = "cloudflare", apiToken = "t", account = "not-an-email" })).AssertInvalid("account", "e-mail");
        Assert.That(await RowCountsAsync(), Is.EqualTo(before));
    }

    [Test]
    public async Task Api_key_delete_is_refused_while_bound_and_works_after()
    {
        var (domainId, zone) = await SeedZoneAsync();
        await using var connection = await OpenAsync();
        var boundKey = await connection.QuerySingleAsync<long>("SELECT api_key_id FROM domain_dns_providers WHERE domain_id = @domainId", new { domainId });
        var freeKey = await CreateApiKeyAsync();
        var before = await RowCountsAsync();

        var refused = (await PostAsync("/api/v1/api-keys/delete", new { ids = new[] { freeKey, boundKey } })).AssertError(HttpStatusCode.Conflict);
        Assert.That(refused.Message, Does.Contain(zone));
        Assert.That(refused.Message, Does.Contain($"key {boundKey}"));
        Assert.That(await RowCountsAsync(), Is.EqualTo(before), "nothing deleted when any key is in use");

        var other = await CreateApiKeyAsync();
        (await PostAsync("/api/v1/dns/providers/bind", new { domainId, provider = "cloudflare", providerZoneId = "zone-x", apiKeyId = other })).AssertOk();
        var deleted = (await PostAsync("/api/v1/api-keys/delete", new { ids = new[] { freeKey, boundKey, 987_654 } })).AssertOk();
        Assert.That(deleted.Data.GetProperty("affected").GetInt32(), Is.EqualTo(2));
        (await PostAsync("/api/v1/api-keys/delete", new { ids = Array.Empty<long>() })).AssertInvalid("ids", "1 to 1000");
    }

    [Test]
    public async Task Bind_upserts_one_binding_per_domain()
    {
        var domainId = await CreateDomainAsync(NewZone());
        var key1 = await CreateApiKeyAsync();
        var key2 = await CreateApiKeyAsync();

        var first = (await PostAsync("/api/v1/dns/providers/bind", new { domainId, provider = "cloudflare", providerZoneId = "zone_1", apiKeyId = key1 })).AssertOk().Data;
        await ExecAsync("UPDATE domain_dns_providers SET status = 'inactive' WHERE domain_id = @domainId", new { domainId });
        var second = (await PostAsync("/api/v1/dns/providers/bind", new { domainId, provider = "Cloudflare", providerZoneId = "zone-2", apiKeyId = key2 })).AssertOk().Data;

        Assert.That(second.GetProperty("id").GetInt64(), Is.EqualTo(first.GetProperty("id").GetInt64()));
        Assert.That(second.GetProperty("providerZoneId").GetString(), Is.EqualTo("zone-2"));
        Assert.That(second.GetProperty("apiKeyId").GetInt64(), Is.EqualTo(key2));
        Assert.That(second.GetProperty("status").GetString(), Is.EqualTo("active"));
        Assert.That(second.GetProperty("domainId").GetInt64(), Is.EqualTo(domainId));

        var list = (await GetAsync($"/api/v1/dns/providers?domainId={domainId}")).AssertOk().Data;
        Assert.That(list.GetProperty("total").GetInt64(), Is.EqualTo(1));
        Assert.That(list.GetProperty("list")[0].GetProperty("providerZoneId").GetString(), Is.EqualTo("zone-2"));
        Assert.That((await GetAsync("/api/v1/dns/providers")).AssertOk().Data.GetProperty("total").GetInt64(), Is.GreaterThanOrEqualTo(1));
    }

    [Test]
    public async Task Bind_validates_references_and_zone_id()
    {
        var domainId = await CreateDomainAsync(NewZone());
        var keyId = await CreateApiKeyAsync();
        var before = await RowCountsAsync();
        (await PostAsync("/api/v1/dns/providers/bind", new { domainId = 987_654, provider = "cloudflare", providerZoneId = "z", apiKeyId = keyId })).AssertInvalid("domainId", "domain 987654 does not exist");
        (await PostAsync("/api/v1/dns/providers/bind", new { domainId, provider = "cloudflare", providerZoneId = "z", apiKeyId = 987_654 })).AssertInvalid("apiKeyId", "API key 987654 does not exist");
        (await PostAsync("/api/v1/dns/providers/bind", new { domainId, provider = "cloudflare", providerZoneId = "has space", apiKeyId = keyId })).AssertInvalid("providerZoneId", "1 to 64");
        (await PostAsync("/api/v1/dns/providers/bind", new { domainId, provider = "cloudflare", providerZoneId = new string('a', 65), apiKeyId = keyId })).AssertInvalid("providerZoneId", "1 to 64");
        (await PostAsync("/api/v1/dns/providers/bind", new { domainId, provider = "dyn", providerZoneId = "z", apiKeyId = keyId })).AssertInvalid("provider", "'cloudflare'");
        (await PostAsync("/api/v1/dns/providers/bind", new { provider = "cloudflare", providerZoneId = "z" })).AssertInvalid("apiKeyId", "required");
        (await GetAsync("/api/v1/dns/providers?domainId=x")).AssertInvalid("domainId", "positive integer");
        Assert.That(await RowCountsAsync(), Is.EqualTo(before));
    }
}
