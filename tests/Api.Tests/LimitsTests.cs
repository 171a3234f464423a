using System.Net;
using System.Net.Http.Json;
using System.Text;

namespace DnsSync.Api.Tests;

/// <summary>Body limits (413 before the body is read), the per-client rate limit (429 with Retry-After) and unknown JSON members (400).</summary>
public sealed class LimitsTests : ApiTestBase
{
    [Test]
    public async Task A_body_over_64_KiB_is_413_and_writes_nothing()
    {
        var (domainId, _) = await SeedZoneAsync();
        var before = await RowCountsAsync();
        var body = $$"""{"domainId":{{domainId}},"type":"TXT","name":"big","value":"{{new string('x', 70_000)}}","ownerType":"external","ownerId":1}""";
        var reply = await Reply.ReadAsync(await Client.PostAsync("/api/v1/dns/records/create", new StringContent(body, Encoding.UTF8, "application/json")));
        reply.AssertError(HttpStatusCode.RequestEntityTooLarge);
        Assert.That(reply.Message, Does.Contain("64 KiB"));
        Assert.That(reply.Data.GetProperty("maxBodyBytes").GetInt64(), Is.EqualTo(64 * 1024));
        Assert.That(await RowCountsAsync(), Is.EqualTo(before));
    }

    [Test]
    public async Task A_chunked_body_over_the_limit_is_413_too()
    {
        var before = await RowCountsAsync();
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes($$"""{"domain":"{{new string('a', 80_000)}}.com"}""")));
        content.Headers.ContentType = new("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/domains/create") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        (await Reply.ReadAsync(await Client.SendAsync(request))).AssertError(HttpStatusCode.RequestEntityTooLarge);
        Assert.That(await RowCountsAsync(), Is.EqualTo(before));
    }

    [Test]
    public async Task The_bulk_route_takes_bodies_over_64_KiB()
    {
        var (domainId, _) = await SeedZoneAsync();
        var records = Enumerable.Range(0, 40).Select(i => new { domainId, type = "TXT", name = $"bulk-{i}", value = new string('v', 2000), ownerType = "external", ownerId = 1 });
        var reply = (await PostAsync("/api/v1/dns/records/bulk-create", new { records })).AssertOk();
        Assert.That(reply.Data.GetProperty("created").GetInt32(), Is.EqualTo(40));
    }

    [Test]
    public async Task Past_the_rate_limit_a_client_gets_429_with_retry_after_and_other_clients_do_not()
    {
        await using var factory = new ApiFactory(ConnectionString, new Dictionary<string, string?>
        {
            ["RateLimit:PermitsPerSecond"] = "1",
            ["RateLimit:Burst"] = "3",
        });
        using var greedy = CreateClient(Token("greedy"), factory);
        var replies = new List<Reply>();
        for (var i = 0; i < 6; i++) replies.Add(await GetAsync("/api/v1/domains", greedy));
        var limited = replies.Where(r => r.Status == HttpStatusCode.TooManyRequests).ToList();
        Assert.That(limited, Is.Not.Empty, "six requests at once exceed a burst of three");
        var first = limited[0].AssertError(HttpStatusCode.TooManyRequests);
        var seconds = first.Data.GetProperty("retryAfterSeconds").GetInt32();
        Assert.That(seconds, Is.InRange(1, 5));
        Assert.That(first.Response.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(seconds)));
        Assert.That(first.Message, Does.Contain("retry after"));

        using var other = CreateClient(Token("someone-else"), factory);
        (await GetAsync("/api/v1/domains", other)).AssertOk();
        (await GetAsync("/health/live", CreateClient(null, factory))).AssertOk();
    }

    [Test]
    public async Task Unknown_json_members_are_400_naming_them_and_write_nothing()
    {
        var (domainId, _) = await SeedZoneAsync();
        var before = await RowCountsAsync();
        var typo = (await PostAsync("/api/v1/dns/records/create",
            new { domainId, type = "A", name = "www", value = "192.0.2.1", tll = 300, ownerType = "external", ownerId = 1 }))
            .AssertInvalid("tll", "is not a field of this request");
        Assert.That(typo.Text, Does.Not.Contain("System."));
        (await PostAsync("/api/v1/dns/records/bulk-create", new { records = new[] { new { domainId, type = "A", name = "www", value = "192.0.2.1", ownerType = "external", ownerId = 1, colour = "red" } } }))
            .AssertInvalid("records[0].colour", "is not a field of this request");
        (await PostAsync("/api/v1/domains/create", new { domain = NewZone(), owner = "me" })).AssertInvalid("owner", "is not a field");
        Assert.That(await RowCountsAsync(), Is.EqualTo(before));
    }

    /// <summary>Every field of every request the seed's clients send (the contract table), all at once: none is refused as unknown.</summary>
    [Test]
    public async Task Every_field_the_seeds_clients_send_is_still_accepted()
    {
        var zone = NewZone();
        var domain = (await PostAsync("/api/v1/domains/create", new { domain = zone, status = "active" })).AssertOk().Data.GetProperty("id").GetInt64();
        var key = (await PostAsync("/api/v1/api-keys/create", new { name = "k", provider = "cloudflare", apiToken = "seed-token-1234", account = (string?)null, status = "active" }))
            .AssertOk().Data.GetProperty("id").GetInt64();
        (await PostAsync("/api/v1/dns/providers/bind", new { domainId = domain, provider = "cloudflare", providerZoneId = "zone-1", apiKeyId = key })).AssertOk();
        var id = (await PostAsync("/api/v1/dns/records/create", new { domainId = domain, type = "A", name = "www", value = "192.0.2.1", ttl = 300, proxied = false, ownerType = "external", ownerId = 1 }))
            .AssertOk().Data.GetProperty("id").GetInt64();
        (await PostAsync("/api/v1/dns/records/update", new { id, value = "192.0.2.2", ttl = 600, proxied = true })).AssertOk();
        await ExecAsync("UPDATE domain_dns_records SET status = 'error' WHERE id = @id", new { id });
        (await PostAsync("/api/v1/dns/records/retry", new { id })).AssertOk();
        (await PostAsync("/api/v1/dns/records/delete", new { ids = new[] { id } })).AssertOk();
        (await PostAsync("/api/v1/api-keys/delete", new { ids = new[] { 987_654L } })).AssertOk();
    }
}
