using Dapper;
using DnsSync.CloudflareEmulator;
using DnsSync.Testing;
using DnsSync.Worker.Cloudflare;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MySqlConnector;

namespace DnsSync.Worker.Tests;

/// <summary>
/// The Refit client over real HTTP against the emulator: encoding, headers, errors, Retry-After. The request budget
/// lives in the database, so a real (migrated) one backs it; its budget tables are emptied before each test.
/// </summary>
public sealed class CloudflareClientTests
{
    private EmulatorServer emulator = null!;
    private ServiceProvider services = null!;
    private string zoneId = "";
    private string connectionString = "";

    [OneTimeSetUp]
    public async Task CreateDatabaseAsync() => connectionString = await TestDatabase.CreateAsync("client");

    [OneTimeTearDown]
    public async Task DropDatabaseAsync() => await TestDatabase.DropAsync(connectionString);

    [SetUp]
    public async Task StartAsync()
    {
        await using (var connection = new MySqlConnection(connectionString))
            await connection.ExecuteAsync("DELETE FROM provider_budget_usage; DELETE FROM provider_budget;");
        emulator = await EmulatorServer.StartAsync();
        zoneId = emulator.AddZone("example.com", WorkerHarness.Token);
        services = new ServiceCollection().AddLogging().AddDnsWorker(Configuration()).BuildServiceProvider();
    }

    private IConfiguration Configuration() => new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["ConnectionStrings:Default"] = connectionString,
        ["Secrets:Key"] = WorkerHarness.SecretsKey,
        ["Cloudflare:BaseUrl"] = emulator.BaseUrl + "client/v4",
    }).Build();

    [TearDown]
    public async Task StopAsync()
    {
        await services.DisposeAsync();
        await emulator.DisposeAsync();
    }

    private CloudflareClient Client => services.GetRequiredService<CloudflareClient>();
    private static CloudflareCredential Credential => new(WorkerHarness.Token, null);

    [Test]
    public async Task Lookup_keeps_only_the_asked_name_and_type_even_when_the_provider_ignores_filters()
    {
        await services.DisposeAsync();
        services = new ServiceCollection().AddLogging().AddDnsWorker(Configuration())
            .ConfigureAll<Microsoft.Extensions.Http.HttpClientFactoryOptions>(o =>
                o.HttpMessageHandlerBuilderActions.Add(b => b.AdditionalHandlers.Insert(0, new IgnoreFiltersHandler())))
            .BuildServiceProvider();
        foreach (var name in new[] { "www.example.com", "api.example.com" })
            await Client.CreateAsync(Credential, zoneId, new RecordBody { Type = "A", Name = name, Content = "192.0.2.1", Ttl = 120 }, CancellationToken.None);
        await Client.CreateAsync(Credential, zoneId, new RecordBody { Type = "TXT", Name = "www.example.com", Content = "192.0.2.1", Ttl = 120 }, CancellationToken.None);

        var found = await Client.ListAsync(Credential, zoneId, "A", "WWW.example.com", CancellationToken.None);

        Assert.That(emulator.Requests.Last().Query, Does.Not.Contain("name="), "the filter really was dropped on the way");
        Assert.That(found.Select(r => (r.Type, r.Name)), Is.EqualTo(new[] { ("A", "www.example.com") }));
    }

    /// <summary>Plays a provider that ignores the name and type filters of a list request.</summary>
    private sealed class IgnoreFiltersHandler : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method == HttpMethod.Get && request.RequestUri is { Query.Length: > 0 } uri)
            {
                var kept = uri.Query.TrimStart('?').Split('&').Where(p => !p.StartsWith("name=", StringComparison.Ordinal) && !p.StartsWith("type=", StringComparison.Ordinal));
                request.RequestUri = new UriBuilder(uri) { Query = string.Join('&', kept) }.Uri;
            }
            return base.SendAsync(request, cancellationToken);
        }
    }

    [Test]
    public async Task Lookup_filters_are_url_encoded()
    {
        await Client.ListAsync(Credential, zoneId, "TXT", "a b+c=\"d\"&e.example.com", CancellationToken.None);

        var query = emulator.Requests.Single().Query;
        Assert.That(query, Does.Contain("name=a%20b%2Bc%3D%22d%22%26e.example.com"));
    }

    [Test]
    public async Task Txt_content_with_spaces_quotes_plus_and_equals_round_trips()
    {
        const string content = "\"v=DKIM1; k=rsa; p=MIGf+/abc==\" \"second part\"";
        var created = await Client.CreateAsync(Credential, zoneId, new RecordBody { Type = "TXT", Name = "sel._domainkey.example.com", Content = content, Ttl = 120 }, CancellationToken.None);

        var found = await Client.ListAsync(Credential, zoneId, "TXT", "sel._domainkey.example.com", CancellationToken.None);

        Assert.That(found.Select(r => (r.Id, r.Content)), Is.EqualTo(new[] { (created.Id, content) }));
    }

    [Test]
    public async Task Bearer_token_is_sent_in_the_authorization_header_only()
    {
        await Client.ListAsync(Credential, zoneId, "A", "www.example.com", CancellationToken.None);

        var request = emulator.Requests.Single();
        Assert.Multiple(() =>
        {
            Assert.That(request.Status, Is.EqualTo(200));
            Assert.That(request.Credential, Is.EqualTo(EmulatorServer.TokenIdentity(WorkerHarness.Token)));
            Assert.That(request.Query, Does.Not.Contain(WorkerHarness.Token));
            Assert.That(request.Path, Does.StartWith("/client/v4/zones/"));
        });
    }

    [Test]
    public void Provider_429_blocks_further_requests_of_that_token_until_retry_after()
    {
        emulator.AddFault(new FaultRule { Kind = FaultKind.RateLimit, Count = 1, RetryAfterSeconds = 30 });

        var first = Assert.ThrowsAsync<CloudflareRateLimitedException>(() =>
            Client.ListAsync(Credential, zoneId, "A", "www.example.com", CancellationToken.None));
        var second = Assert.ThrowsAsync<CloudflareRateLimitedException>(() =>
            Client.ListAsync(Credential, zoneId, "A", "www.example.com", CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(first!.FromProvider, Is.True);
            Assert.That(first.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(30)));
            Assert.That(second!.FromProvider, Is.False);
            Assert.That(second.RetryAfter, Is.GreaterThan(TimeSpan.FromSeconds(28)));
            Assert.That(emulator.Requests, Has.Count.EqualTo(1), "nothing sent while blocked");
        });
    }

    [Test]
    public async Task Other_tokens_are_not_blocked_by_a_429_of_one_token()
    {
        emulator.AddFault(new FaultRule { Kind = FaultKind.RateLimit, Count = 1, RetryAfterSeconds = 30 });
        Assert.ThrowsAsync<CloudflareRateLimitedException>(() => Client.ListAsync(Credential, zoneId, "A", "www.example.com", CancellationToken.None));
        emulator.AddZone("example.com", "second-token");

        var found = await Client.ListAsync(new CloudflareCredential("second-token", null), zoneId, "A", "www.example.com", CancellationToken.None);

        Assert.That(found, Is.Empty);
    }

    [Test]
    public void Wrong_zone_is_an_error_with_code_and_message()
    {
        var error = Assert.ThrowsAsync<CloudflareException>(() =>
            Client.CreateAsync(Credential, "ffffffffffffffffffffffffffffffff", new RecordBody { Type = "A", Name = "x.example.com", Content = "192.0.2.1", Ttl = 120 }, CancellationToken.None));

        Assert.That(error!.Error.ToString(), Does.StartWith("cloudflare 403 10000: "));
    }
}
