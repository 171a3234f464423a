using System.Net.Http.Headers;
using System.Text;

namespace DnsSync.Api.Tests;

/// <summary>No API token, JWT, signing secret or encryption key appears in any response or captured log line.</summary>
public sealed class SecretLeakTests : ApiTestBase
{
    [Test]
    public async Task Secrets_never_appear_in_responses_or_logs()
    {
        const string apiToken = "cf-token-LEAK-CANARY-1234567890";
        const string badToken = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJMRUFLIn0.LEAK-CANARY-SIGNATURE";
        var jwt = Token("leak-tester");
        var texts = new List<string>();

        var created = await PostAsync("/api/v1/api-keys/create", new { name = "canary", provider = "cloudflare", apiToken });
        created.AssertOk();
        texts.Add(created.Text);
        texts.Add((await GetAsync("/api/v1/api-keys")).Text);
        // A rejected create that carries the token, and a malformed one.
        texts.Add((await PostAsync("/api/v1/api-keys/create", new { name = "", provider = "x", apiToken })).Text);
        texts.Add((await Reply.ReadAsync(await Client.PostAsync("/api/v1/api-keys/create",
            new StringContent($$"""{"name": "k", "apiToken": "{{apiToken}}", "provider": 5}""", Encoding.UTF8, "application/json")))).Text);
        using (var forged = CreateClient(token: null))
        {
            forged.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", badToken);
            texts.Add((await GetAsync("/api/v1/api-keys", forged)).Text);
        }
        var (domainId, _) = await SeedZoneAsync();
        texts.Add((await CreateRecordAsync(domainId, "A", "leak", "192.0.2.1")).Text);

        var logs = Factory.Logs.AllText();
        Assert.That(logs, Does.Contain("/api/v1/api-keys/create"), "request logging is captured, so the assertions below mean something");
        Assert.That(logs, Does.Contain("responded 401"));
        foreach (var secret in new[] { apiToken, "LEAK-CANARY", jwt, jwt.Split('.')[2], ApiFactory.JwtSecret, ApiFactory.SecretsKey })
        {
            Assert.That(logs, Does.Not.Contain(secret), "log");
            foreach (var text in texts) Assert.That(text, Does.Not.Contain(secret), "response");
        }
    }
}
