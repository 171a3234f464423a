using System.Net;
using System.Net.Http.Json;
using DnsSync.Api.Auth;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DnsSync.Api.Tests;

/// <summary>
/// Every route × every level: read for GETs, write for record changes, admin for domains, keys and bindings. A refused
/// request is a 403 envelope naming the scope it needs, and writes nothing.
/// </summary>
public sealed class AuthorizationTests : ApiTestBase
{
    private long _domainId;
    private long _recordId;
    private long _keyId;

    /// <summary>(method, route template, level it needs). Kept complete by <see cref="The_matrix_covers_every_route_of_the_api"/>.</summary>
    private static readonly (string Method, string Route, AccessLevel Needs)[] Routes =
    [
        ("GET", "/api/v1/dns/records/", AccessLevel.Read),
        ("GET", "/api/v1/dns/records/{id:long}", AccessLevel.Read),
        ("POST", "/api/v1/dns/records/create", AccessLevel.Write),
        ("POST", "/api/v1/dns/records/bulk-create", AccessLevel.Write),
        ("POST", "/api/v1/dns/records/update", AccessLevel.Write),
        ("POST", "/api/v1/dns/records/delete", AccessLevel.Write),
        ("POST", "/api/v1/dns/records/retry", AccessLevel.Write),
        ("GET", "/api/v1/domains/", AccessLevel.Read),
        ("GET", "/api/v1/domains/{id:long}", AccessLevel.Read),
        ("POST", "/api/v1/domains/create", AccessLevel.Admin),
        ("GET", "/api/v1/api-keys/", AccessLevel.Read),
        ("POST", "/api/v1/api-keys/create", AccessLevel.Admin),
        ("POST", "/api/v1/api-keys/delete", AccessLevel.Admin),
        ("GET", "/api/v1/dns/providers/", AccessLevel.Read),
        ("POST", "/api/v1/dns/providers/bind", AccessLevel.Admin),
        ("GET", "/api/v1/domains/{id:long}/audit", AccessLevel.Admin),
        ("POST", "/api/v1/domains/{id:long}/audit", AccessLevel.Admin),
        ("GET", "/api/v1/domains/{id:long}/plan", AccessLevel.Admin),
        ("POST", "/api/v1/domains/{id:long}/import", AccessLevel.Admin),
        ("GET", "/api/v1/domains/{id:long}/stranded/", AccessLevel.Read),
        ("POST", "/api/v1/domains/{id:long}/stranded/delete", AccessLevel.Admin),
        ("POST", "/api/v1/domains/import-zones", AccessLevel.Admin),
        ("GET", "/api/v1/domains/import-zones/{id:long}", AccessLevel.Admin),
    ];

    /// <summary>How a token states its level: each scope, the CMDB's role claim, and no claim at all (Auth:DefaultScope, dns:read).</summary>
    private static readonly (string Name, Dictionary<string, object> Claims, AccessLevel Level)[] Tokens =
    [
        ("scope dns:read", new() { ["scope"] = "dns:read" }, AccessLevel.Read),
        ("scope dns:write", new() { ["scope"] = "dns:write" }, AccessLevel.Write),
        ("scope dns:admin", new() { ["scope"] = "dns:admin" }, AccessLevel.Admin),
        ("scopes 'openid dns:write'", new() { ["scope"] = "openid dns:write" }, AccessLevel.Write),
        ("role admin (CMDB)", new() { ["role"] = "admin", ["username"] = "ops" }, AccessLevel.Admin),
        ("role user (CMDB)", new() { ["role"] = "user", ["username"] = "dev" }, AccessLevel.Read),
        ("no scope, no role", new() { ["username"] = "legacy" }, AccessLevel.Read),
    ];

    [OneTimeSetUp]
    public async Task SeedAsync()
    {
        (_domainId, _) = await SeedZoneAsync();
        _recordId = (await CreateRecordAsync(_domainId, "A", "matrix", "192.0.2.1")).AssertOk().Data.GetProperty("id").GetInt64();
        _keyId = await CreateApiKeyAsync();
    }

    private static IEnumerable<TestCaseData> Matrix() =>
        from route in Routes
        from token in Tokens
        select new TestCaseData(route.Method, route.Route, (int)route.Needs, token.Name)
            .SetName($"{route.Method} {route.Route} with {token.Name}: {(token.Level >= route.Needs ? "allowed" : "403")}");

    [TestCaseSource(nameof(Matrix))]
    public async Task Route_answers_403_below_its_level_and_passes_at_or_above_it(string method, string route, int neededLevel, string tokenName)
    {
        var needs = (AccessLevel)neededLevel;
        var token = Tokens.Single(t => t.Name == tokenName);
        using var client = CreateClient(Mint(token.Claims));
        var before = await RowCountsAsync();
        var reply = await SendAsync(client, method, route);

        if (token.Level >= needs)
        {
            Assert.That(reply.Status, Is.Not.EqualTo(HttpStatusCode.Forbidden).And.Not.EqualTo(HttpStatusCode.Unauthorized), reply.Text);
            return;
        }
        reply.AssertError(HttpStatusCode.Forbidden);
        Assert.That(reply.Message, Does.Contain($"needs the scope {Scopes.Name(needs)}").And.Contain($"this token grants {Scopes.Name(token.Level)}"));
        Assert.That(reply.Data.GetProperty("requiredScope").GetString(), Is.EqualTo(Scopes.Name(needs)));
        Assert.That(reply.Body.GetProperty("traceId").GetString(), Is.Not.Empty);
        Assert.That(await RowCountsAsync(), Is.EqualTo(before), "a refused request writes nothing");
    }

    [Test]
    public async Task Default_scope_dns_write_lets_old_cmdb_user_tokens_change_records_but_not_domains()
    {
        await using var factory = new ApiFactory(ConnectionString, new Dictionary<string, string?> { ["Auth:DefaultScope"] = "dns:write" });
        using var client = CreateClient(Mint(new() { ["username"] = "legacy" }), factory);
        (await SendAsync(client, "POST", "/api/v1/dns/records/retry")).AssertError(HttpStatusCode.Conflict);
        var refused = (await SendAsync(client, "POST", "/api/v1/domains/create")).AssertError(HttpStatusCode.Forbidden);
        Assert.That(refused.Message, Does.Contain("dns:admin"));
        // A token that names a scope gets that scope, not the default.
        using var reader = CreateClient(Mint(new() { ["scope"] = "dns:read" }), factory);
        (await SendAsync(reader, "POST", "/api/v1/dns/records/retry")).AssertError(HttpStatusCode.Forbidden);
    }

    [Test]
    public void A_default_scope_that_is_no_scope_stops_start_up_naming_the_setting()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Auth:JwtSecret"] = ApiFactory.JwtSecret, ["Auth:DefaultScope"] = "dns:everything",
        }).Build();
        var error = Assert.Throws<InvalidOperationException>(() => JwtSettings.FromConfiguration(configuration));
        Assert.That(error!.Message, Does.Contain("Auth__DefaultScope must be one of dns:read, dns:write, dns:admin"));
    }

    [Test]
    public void The_matrix_covers_every_route_of_the_api()
    {
        var routes = Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api/", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => $"{m} {e.RoutePattern.RawText}"))
            .Order().ToList();
        Assert.That(routes, Is.EquivalentTo(Routes.Select(r => $"{r.Method} {r.Route}")));
    }

    private string Mint(Dictionary<string, object> claims)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var payload = new Dictionary<string, object>(claims) { ["iat"] = now, ["exp"] = now + 3600 };
        return DnsSync.Testing.Jwt.Sign(ApiFactory.JwtSecret, new { alg = "HS256", typ = "JWT" }, payload);
    }

    /// <summary>A request a permitted caller could send: valid bodies, known ids (so allowed writes really write).</summary>
    private async Task<Reply> SendAsync(HttpClient client, string method, string route)
    {
        var path = route.Replace("{id:long}", route.Contains("records") ? _recordId.ToString() : _domainId.ToString(), StringComparison.Ordinal);
        if (method == "GET") return await GetAsync(path, client);
        object body = route switch
        {
            "/api/v1/dns/records/create" => new { domainId = _domainId, type = "TXT", name = "matrix", value = Guid.NewGuid().ToString(), ownerType = "external", ownerId = 1 },
            "/api/v1/dns/records/bulk-create" => new { records = new[] { new { domainId = _domainId, type = "TXT", name = "bulk", value = Guid.NewGuid().ToString(), ownerType = "external", ownerId = 1 } } },
            "/api/v1/dns/records/update" => new { id = _recordId, ttl = 60 + Random.Shared.Next(1000) },
            "/api/v1/dns/records/delete" => new { ids = new[] { 987_654L } },
            "/api/v1/dns/records/retry" => new { id = _recordId },
            "/api/v1/domains/create" => new { domain = NewZone() },
            "/api/v1/api-keys/create" => new { name = "matrix", provider = "cloudflare", apiToken = "matrix-token-1234" },
            "/api/v1/api-keys/delete" => new { ids = new[] { 987_654L } },
            "/api/v1/dns/providers/bind" => new { domainId = _domainId, provider = "cloudflare", providerZoneId = "zone-" + _domainId, apiKeyId = _keyId },
            "/api/v1/domains/{id:long}/audit" => new { },
            "/api/v1/domains/{id:long}/import" => new { dryRun = true },
            "/api/v1/domains/{id:long}/stranded/delete" => new { ids = new[] { 987_654L } },
            "/api/v1/domains/import-zones" => new { apiKeyId = _keyId, dryRun = true },
            _ => throw new ArgumentException(route),
        };
        return await Reply.ReadAsync(await client.PostAsJsonAsync(path, body));
    }
}
