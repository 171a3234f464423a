using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using DnsSync.Api.Auth;
using DnsSync.Testing;
using MySqlConnector;

namespace DnsSync.Api.Tests;

/// <summary>One migrated database and one app per fixture; helpers that talk to the app the way a client does.</summary>
public abstract class ApiTestBase
{
    private static int _zoneCounter;

    protected string ConnectionString { get; private set; } = "";
    protected ApiFactory Factory { get; private set; } = null!;
    protected HttpClient Client { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task StartApiAsync()
    {
        ConnectionString = await TestDatabase.CreateAsync(GetType().Name);
        Factory = new ApiFactory(ConnectionString);
        Client = CreateClient(Token());
    }

    [OneTimeTearDown]
    public async Task StopApiAsync()
    {
        Client.Dispose();
        await Factory.DisposeAsync();
        await TestDatabase.DropAsync(ConnectionString);
    }

    protected HttpClient CreateClient(string? token, ApiFactory? factory = null)
    {
        var client = (factory ?? Factory).CreateClient();
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>A token minted by the api's own command; by default with every scope, so tests of other features are not about scopes.</summary>
    protected static string Token(string subject = "tester", TimeSpan? ttl = null, DateTime? now = null, string? issuer = null,
        string secret = ApiFactory.JwtSecret, string? scope = Scopes.Admin) =>
        TokenCommand.Mint(new JwtSettings(secret, issuer, null), subject, ttl ?? TimeSpan.FromHours(1), now ?? DateTime.UtcNow, scope);

    protected async Task<Reply> PostAsync(string path, object body, HttpClient? client = null) =>
        await Reply.ReadAsync(await (client ?? Client).PostAsJsonAsync(path, body));

    protected async Task<Reply> GetAsync(string path, HttpClient? client = null) =>
        await Reply.ReadAsync(await (client ?? Client).GetAsync(path));

    /// <summary>A unique zone name per call, so tests in one fixture never collide.</summary>
    protected static string NewZone() => $"z{Interlocked.Increment(ref _zoneCounter)}-{Guid.NewGuid():N}"[..20] + ".example.com";

    protected async Task<long> CreateApiKeyAsync(string token = "cf-token-0000-abcd", string? status = null)
    {
        var reply = await PostAsync("/api/v1/api-keys/create", new { name = "Cloudflare", provider = "cloudflare", apiToken = token, status });
        reply.AssertOk();
        return reply.Data.GetProperty("id").GetInt64();
    }

    protected async Task<long> CreateDomainAsync(string domain, string? status = null)
    {
        var reply = await PostAsync("/api/v1/domains/create", new { domain, status });
        reply.AssertOk();
        return reply.Data.GetProperty("id").GetInt64();
    }

    /// <summary>An active domain bound to an active key: ready for records.</summary>
    protected async Task<(long DomainId, string Zone)> SeedZoneAsync()
    {
        var zone = NewZone();
        var keyId = await CreateApiKeyAsync();
        var domainId = await CreateDomainAsync(zone);
        (await PostAsync("/api/v1/dns/providers/bind", new { domainId, provider = "cloudflare", providerZoneId = "zone-" + domainId, apiKeyId = keyId })).AssertOk();
        return (domainId, zone);
    }

    protected async Task<Reply> CreateRecordAsync(long domainId, string type, string name, string value, long ownerId = 1,
        string ownerType = "external", int? ttl = null, bool? proxied = null, HttpClient? client = null) =>
        await PostAsync("/api/v1/dns/records/create", new { domainId, type, name, value, ttl, proxied, ownerType, ownerId }, client);

    protected async Task<MySqlConnection> OpenAsync()
    {
        var connection = new MySqlConnection(ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>Rows of every table the api writes, to prove a rejected request wrote nothing.</summary>
    protected async Task<string> RowCountsAsync()
    {
        await using var connection = await OpenAsync();
        return await connection.QuerySingleAsync<string>("""
            SELECT CONCAT_WS(',', (SELECT COUNT(*) FROM domains), (SELECT COUNT(*) FROM api_keys),
                                  (SELECT COUNT(*) FROM domain_dns_providers), (SELECT COUNT(*) FROM domain_dns_records),
                                  (SELECT COALESCE(SUM(version), 0) FROM domain_dns_records),
                                  (SELECT COALESCE(MAX(updated_at), '') FROM domain_dns_records),
                                  (SELECT COUNT(*) FROM stranded_records), (SELECT COUNT(*) FROM zone_imports))
            """);
    }

    protected async Task ExecAsync(string sql, object? args = null)
    {
        await using var connection = await OpenAsync();
        await connection.ExecuteAsync(sql, args);
    }
}

/// <summary>An HTTP reply with its envelope parsed.</summary>
public sealed record Reply(HttpStatusCode Status, JsonElement Body, string Text, HttpResponseMessage Response)
{
    public int Code => Body.GetProperty("code").GetInt32();
    public string Message => Body.GetProperty("message").GetString() ?? "";
    public JsonElement Data => Body.GetProperty("data");

    /// <summary>field → messages of a validation error.</summary>
    public IReadOnlyDictionary<string, string> FieldErrors =>
        Data.ValueKind == JsonValueKind.Object && Data.TryGetProperty("errors", out var errors)
            ? errors.EnumerateArray().GroupBy(e => e.GetProperty("field").GetString()!)
                .ToDictionary(g => g.Key, g => string.Join(" | ", g.Select(e => e.GetProperty("message").GetString())))
            : new Dictionary<string, string>();

    public static async Task<Reply> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        JsonElement body;
        try
        {
            body = JsonDocument.Parse(text).RootElement.Clone();
        }
        catch (JsonException)
        {
            Assert.Fail($"{(int)response.StatusCode}: body is not JSON: '{text}'");
            throw;
        }
        return new Reply(response.StatusCode, body, text, response);
    }

    public Reply AssertOk()
    {
        Assert.That(Status, Is.EqualTo(HttpStatusCode.OK), Text);
        Assert.That(Code, Is.Zero, Text);
        Assert.That(Message, Is.EqualTo("success"));
        return this;
    }

    /// <summary>An error envelope: code equals the HTTP status.</summary>
    public Reply AssertError(HttpStatusCode status)
    {
        Assert.That(Status, Is.EqualTo(status), Text);
        Assert.That(Code, Is.EqualTo((int)status), Text);
        Assert.That(Message, Is.Not.Empty);
        Assert.That(Response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        return this;
    }

    /// <summary>A 400 listing <paramref name="field"/> with a message containing <paramref name="fragment"/>.</summary>
    public Reply AssertInvalid(string field, string fragment)
    {
        AssertError(HttpStatusCode.BadRequest);
        Assert.That(FieldErrors, Does.ContainKey(field), Text);
        Assert.That(FieldErrors[field], Does.Contain(fragment), Text);
        return this;
    }
}
