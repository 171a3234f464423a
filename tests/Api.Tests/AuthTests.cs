using System.Net;
using System.Net.Http.Headers;
using System.Text;
using DnsSync.Api.Auth;
using Microsoft.Extensions.Configuration;

namespace DnsSync.Api.Tests;

/// <summary>Bearer JWT, HS256 only; every failure is a 401 envelope that does not echo the token.</summary>
public sealed class AuthTests : ApiTestBase
{
    private const string Protected = "/api/v1/dns/records";

    [Test]
    public async Task Valid_token_is_accepted()
    {
        (await GetAsync(Protected)).AssertOk();
    }

    [Test]
    public async Task Missing_token_is_401_envelope_with_challenge()
    {
        var reply = (await GetAsync(Protected, CreateClient(token: null))).AssertError(HttpStatusCode.Unauthorized);
        Assert.That(reply.Message, Does.Contain("Authorization: Bearer"));
        Assert.That(reply.Response.Headers.WwwAuthenticate.ToString(), Does.StartWith("Bearer"));
        (await PostAsync("/api/v1/domains/create", new { domain = "x.example.com" }, CreateClient(token: null))).AssertError(HttpStatusCode.Unauthorized);
    }

    [TestCase("not-a-jwt")]
    [TestCase("a.b.c")]
    [TestCase("")]
    public async Task Malformed_token_is_401(string token)
    {
        using var client = CreateClient(token: null);
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + token);
        var reply = (await GetAsync(Protected, client)).AssertError(HttpStatusCode.Unauthorized);
        if (token.Length > 0) Assert.That(reply.Text, Does.Not.Contain(token));
    }

    [Test]
    public async Task Basic_scheme_is_401()
    {
        using var client = CreateClient(token: null);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("u:p"u8.ToArray()));
        (await GetAsync(Protected, client)).AssertError(HttpStatusCode.Unauthorized);
    }

    [Test]
    public async Task Expired_token_is_401_saying_expired()
    {
        var expired = Token(ttl: TimeSpan.FromMinutes(5), now: DateTime.UtcNow.AddHours(-1));
        var reply = (await GetAsync(Protected, CreateClient(expired))).AssertError(HttpStatusCode.Unauthorized);
        Assert.That(reply.Message, Does.Contain("expired"));
    }

    [Test]
    public async Task Token_signed_with_another_secret_is_401()
    {
        var forged = Token(secret: "another-secret-that-is-long-enough-0123456789");
        var reply = (await GetAsync(Protected, CreateClient(forged))).AssertError(HttpStatusCode.Unauthorized);
        Assert.That(reply.Message, Does.Contain("signature"));
    }

    [Test]
    public async Task Unsigned_alg_none_token_is_401()
    {
        var header = Base64Url("""{"alg":"none","typ":"JWT"}""");
        var exp = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        var payload = Base64Url($$"""{"sub":"mallory","exp":{{exp}}}""");
        (await GetAsync(Protected, CreateClient($"{header}.{payload}."))).AssertError(HttpStatusCode.Unauthorized);
    }

    [Test]
    public async Task Hs512_token_is_401()
    {
        var header = Base64Url("""{"alg":"HS512","typ":"JWT"}""");
        var exp = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        var payload = Base64Url($$"""{"sub":"x","exp":{{exp}}}""");
        var signature = Convert.ToBase64String(System.Security.Cryptography.HMACSHA512.HashData(
            Encoding.UTF8.GetBytes(ApiFactory.JwtSecret), Encoding.ASCII.GetBytes($"{header}.{payload}"))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        (await GetAsync(Protected, CreateClient($"{header}.{payload}.{signature}"))).AssertError(HttpStatusCode.Unauthorized);
    }

    [Test]
    public async Task Token_without_expiry_is_401()
    {
        var header = Base64Url("""{"alg":"HS256","typ":"JWT"}""");
        var payload = Base64Url("""{"sub":"forever"}""");
        var signature = Convert.ToBase64String(System.Security.Cryptography.HMACSHA256.HashData(
            Encoding.UTF8.GetBytes(ApiFactory.JwtSecret), Encoding.ASCII.GetBytes($"{header}.{payload}"))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        (await GetAsync(Protected, CreateClient($"{header}.{payload}.{signature}"))).AssertError(HttpStatusCode.Unauthorized);
    }

    [Test]
    public async Task Cmdb_style_token_signed_with_the_shared_secret_is_accepted()
    {
        // The CMDB's Go code signs HS256 with []byte(JWT_SECRET) and its own claims, without sub.
        var header = Base64Url("""{"alg":"HS256","typ":"JWT"}""");
        var exp = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        var payload = Base64Url($$"""{"user_id":1,"username":"admin","exp":{{exp}}}""");
        var signature = Convert.ToBase64String(System.Security.Cryptography.HMACSHA256.HashData(
            Encoding.UTF8.GetBytes(ApiFactory.JwtSecret), Encoding.ASCII.GetBytes($"{header}.{payload}"))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        (await GetAsync(Protected, CreateClient($"{header}.{payload}.{signature}"))).AssertOk();
    }

    // Signed once outside .NET with the 11-byte secret "cmdb-secret", as the CMDB's Go code signs ([]byte(JWT_SECRET)):
    //   python3: hmac.new(b"cmdb-secret", header_b64 + "." + payload_b64, sha256); the same as
    //   printf %s "$header.$payload" | openssl dgst -sha256 -hmac cmdb-secret -binary | base64url
    // Payloads: {"user_id":7,"username":"ops","role":"admin","iat":4102358400,"exp":4102444800} (a CMDB admin) and
    // {"user_id":8,"username":"dev","iat":4102358400,"exp":4102444800} (a CMDB user); one day long, in the year 2100.
    private const string CmdbAdminToken = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjo3LCJ1c2VybmFtZSI6Im9wcyIsInJvbGUiOiJhZG1pbiIsImlhdCI6NDEwMjM1ODQwMCwiZXhwIjo0MTAyNDQ0ODAwfQ.Jfm1qISK0fHnbv7V5UvYA3cMG09r1uXIGoRlQm2eMn8";
    private const string CmdbUserToken = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjo4LCJ1c2VybmFtZSI6ImRldiIsImlhdCI6NDEwMjM1ODQwMCwiZXhwIjo0MTAyNDQ0ODAwfQ.r01UfyZnKrYsBrVpBgr5FgYLCTqGapOuROMOrBGLkN8";

    [Test]
    public async Task A_short_cmdb_secret_padded_for_the_jwt_handler_verifies_tokens_signed_elsewhere_with_it()
    {
        await using var factory = new ApiFactory(ConnectionString, new Dictionary<string, string?>
        {
            ["Auth:JwtSecret"] = "cmdb-secret",
            ["Auth:AllowShortSecret"] = "true",
        });
        var before = await RowCountsAsync();
        var admin = (await PostAsync("/api/v1/domains/create", new { domain = NewZone() }, CreateClient(CmdbAdminToken, factory))).AssertOk();
        Assert.That(admin.Data.GetProperty("id").GetInt64(), Is.Positive, "role: admin maps to dns:admin");
        // A CMDB user token carries neither scope nor role admin: Auth:DefaultScope (dns:read) applies.
        (await GetAsync(Protected, CreateClient(CmdbUserToken, factory))).AssertOk();
        (await PostAsync("/api/v1/domains/create", new { domain = NewZone() }, CreateClient(CmdbUserToken, factory))).AssertError(HttpStatusCode.Forbidden);
        // One flipped signature character, another short secret, the fixture's long secret: all refused.
        var flipped = CmdbAdminToken[..^2] + (CmdbAdminToken[^2] == 'A' ? 'B' : 'A') + CmdbAdminToken[^1];
        (await GetAsync(Protected, CreateClient(flipped, factory))).AssertError(HttpStatusCode.Unauthorized);
        (await GetAsync(Protected, CreateClient(Token(secret: "cmdb-secreT"), factory))).AssertError(HttpStatusCode.Unauthorized);
        (await GetAsync(Protected, CreateClient(Token(), factory))).AssertError(HttpStatusCode.Unauthorized);
        // Tokens the api mints with the short secret verify too (the padded key signs what the short one does).
        (await GetAsync(Protected, CreateClient(Token(secret: "cmdb-secret"), factory))).AssertOk();
        Assert.That(factory.Logs.AllText(), Does.Contain("shorter than 32 bytes").And.Not.Contain("cmdb-secret"));
        Assert.That(await RowCountsAsync(), Is.Not.EqualTo(before), "the admin create wrote its row");
    }

    [Test]
    public void A_short_secret_is_refused_at_start_unless_allowed()
    {
        var error = Assert.Throws<InvalidOperationException>(() => JwtSettings.FromConfiguration(Config(new() { ["Auth:JwtSecret"] = "cmdb-secret" })));
        Assert.That(error!.Message, Does.Contain("Auth__JwtSecret is 11 bytes").And.Contain("Auth__AllowShortSecret=true"));
        var previous = Assert.Throws<InvalidOperationException>(() => JwtSettings.FromConfiguration(Config(new()
        {
            ["Auth:JwtSecret"] = ApiFactory.JwtSecret, ["Auth:PreviousJwtSecret"] = "old",
        })));
        Assert.That(previous!.Message, Does.Contain("Auth__PreviousJwtSecret"));
        Assert.That(JwtSettings.FromConfiguration(Config(new() { ["Auth:JwtSecret"] = "cmdb-secret", ["Auth:AllowShortSecret"] = "true" })).IsShort, Is.True);
        Assert.Throws<InvalidOperationException>(() => JwtSettings.FromConfiguration(Config(new() { ["Auth:JwtSecret"] = ApiFactory.JwtSecret, ["Auth:AllowShortSecret"] = "yes" })));
    }

    [Test]
    public async Task A_token_living_longer_than_the_maximum_is_401_whether_or_not_it_has_iat()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var thirtyOneDays = 31L * 86400;
        var withIat = Signed($$"""{"sub":"long","scope":"dns:read","iat":{{now}},"exp":{{now + thirtyOneDays}}}""");
        var reply = (await GetAsync(Protected, CreateClient(withIat))).AssertError(HttpStatusCode.Unauthorized);
        Assert.That(reply.Message, Does.Contain("Auth__MaxTokenLifetime (30d)"));
        var withoutIat = Signed($$"""{"sub":"long","scope":"dns:read","exp":{{now + thirtyOneDays}}}""");
        (await GetAsync(Protected, CreateClient(withoutIat))).AssertError(HttpStatusCode.Unauthorized);
        // 29 days is fine, and an old token with an iat long ago is judged by exp − iat, not by now.
        (await GetAsync(Protected, CreateClient(Signed($$"""{"sub":"ok","scope":"dns:read","exp":{{now + 29L * 86400}}}""")))).AssertOk();
        (await GetAsync(Protected, CreateClient(Signed($$"""{"sub":"ok","scope":"dns:read","iat":{{now - 40L * 86400}},"exp":{{now + 3600}}}""")))).AssertError(HttpStatusCode.Unauthorized);

        await using var factory = new ApiFactory(ConnectionString, new Dictionary<string, string?> { ["Auth:MaxTokenLifetime"] = "90d" });
        (await GetAsync(Protected, CreateClient(withIat, factory))).AssertOk();
    }

    private static IConfiguration Config(Dictionary<string, string?> values) => new ConfigurationBuilder().AddInMemoryCollection(values).Build();

    private static string Signed(string payloadJson)
    {
        var header = Base64Url("""{"alg":"HS256","typ":"JWT"}""");
        var payload = Base64Url(payloadJson);
        var signature = Convert.ToBase64String(System.Security.Cryptography.HMACSHA256.HashData(
            Encoding.UTF8.GetBytes(ApiFactory.JwtSecret), Encoding.ASCII.GetBytes($"{header}.{payload}"))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return $"{header}.{payload}.{signature}";
    }

    [Test]
    public async Task During_a_secret_rotation_tokens_of_the_previous_secret_still_validate()
    {
        const string next = "the-next-jwt-secret-0123456789-abcdefghijklmnop";
        await using var factory = new ApiFactory(ConnectionString, new Dictionary<string, string?>
        {
            ["Auth:JwtSecret"] = next,
            ["Auth:PreviousJwtSecret"] = ApiFactory.JwtSecret,
        });
        (await GetAsync(Protected, CreateClient(Token(secret: next), factory))).AssertOk();
        (await GetAsync(Protected, CreateClient(Token(), factory))).AssertOk();
        (await GetAsync(Protected, CreateClient(Token(secret: "yet-another-secret-0123456789-abcdefghijkl"), factory))).AssertError(HttpStatusCode.Unauthorized);
    }

    [Test]
    public async Task Issuer_is_checked_only_when_configured()
    {
        await using var factory = new ApiFactory(ConnectionString, new Dictionary<string, string?> { ["Auth:Issuer"] = "dns-sync" });
        (await GetAsync(Protected, CreateClient(Token(issuer: "dns-sync"), factory))).AssertOk();
        var wrong = (await GetAsync(Protected, CreateClient(Token(issuer: "someone-else"), factory))).AssertError(HttpStatusCode.Unauthorized);
        Assert.That(wrong.Message, Does.Contain("issuer"));
        (await GetAsync(Protected, CreateClient(Token(), factory))).AssertError(HttpStatusCode.Unauthorized);

        // Without Auth:Issuer (the fixture's app) any issuer is fine.
        (await GetAsync(Protected, CreateClient(Token(issuer: "someone-else")))).AssertOk();
    }

    [Test]
    public async Task Jwt_secret_is_also_read_from_JWT_SECRET()
    {
        var settings = JwtSettings.FromConfiguration(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["JWT_SECRET"] = ApiFactory.JwtSecret }).Build());
        Assert.That(settings.Secret, Is.EqualTo(ApiFactory.JwtSecret));
    }

    [TestCase("24h", 24 * 3600)]
    [TestCase("90s", 90)]
    [TestCase("30m", 1800)]
    [TestCase("7d", 7 * 86400)]
    public void Token_ttl_parses(string text, int seconds)
    {
        Assert.That(TokenCommand.TryParseDuration(text, out var ttl), Is.True);
        Assert.That(ttl, Is.EqualTo(TimeSpan.FromSeconds(seconds)));
    }

    [TestCase("")]
    [TestCase("h")]
    [TestCase("0h")]
    [TestCase("-5m")]
    [TestCase("5w")]
    [TestCase("1.5h")]
    public void Bad_token_ttl_is_refused(string text) => Assert.That(TokenCommand.TryParseDuration(text, out _), Is.False);

    private static string Base64Url(string json) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
