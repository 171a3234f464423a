using System.Net.Http.Json;
using System.Security.Cryptography;
using Dapper;
using DnsSync.Api.Records;
using DnsSync.CloudflareEmulator;
using DnsSync.Shared.Records;
using DnsSync.Shared.Secrets;
using DnsSync.Testing;
using DnsSync.Worker.Claiming;
using DnsSync.Worker.Reconciling;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MySqlConnector;

namespace DnsSync.Worker.Tests;

/// <summary>
/// A fresh migrated database seeded like the seed's setup SQL (domain, encrypted API key, binding to the emulator's
/// zone), the Cloudflare emulator in-process, and the worker's real service graph pointed at both.
/// </summary>
internal sealed class WorkerHarness : IAsyncDisposable
{
    public const string Zone = "example.com";
    public const string Token = "cf-test-token-0123456789";
    public static readonly string SecretsKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private readonly List<ServiceProvider> providers = [];

    private readonly bool ownsEmulator;

    private WorkerHarness(EmulatorServer emulator, string connectionString, string zoneId, bool ownsEmulator = true)
    {
        this.ownsEmulator = ownsEmulator;
        Emulator = emulator;
        ConnectionString = connectionString;
        ZoneId = zoneId;
    }

    public EmulatorServer Emulator { get; }
    public string ConnectionString { get; }
    public string ZoneId { get; }
    public long DomainId { get; private set; } = 1;
    public Dictionary<string, string?> Settings { get; } = new();

    public static async Task<WorkerHarness> StartAsync(EmulatorOptions? emulatorOptions = null, string? email = null, bool plaintextToken = false)
    {
        var emulator = await EmulatorServer.StartAsync(emulatorOptions ?? new EmulatorOptions());
        var zoneId = emulator.AddZone(Zone, Token);
        var harness = await CreateAsync(emulator, zoneId, ownsEmulator: true);
        var secret = email is null ? Token : "0123456789abcdef0123456789abcdef01234";
        if (email is not null) emulator.AddGlobalKey(email, secret, zoneId);
        await harness.SeedAsync(secret, email, plaintextToken);
        return harness;
    }

    /// <summary>
    /// Another installation (its own database, so its own installation id) seeded the same way and bound to this
    /// harness's emulator zone: staging and production sharing one Cloudflare zone.
    /// </summary>
    public async Task<WorkerHarness> StartSecondInstallationAsync()
    {
        var other = await CreateAsync(Emulator, ZoneId, ownsEmulator: false);
        await other.SeedAsync(Token, null, plaintextToken: false);
        return other;
    }

    private static async Task<WorkerHarness> CreateAsync(EmulatorServer emulator, string zoneId, bool ownsEmulator)
    {
        var connectionString = await TestDatabase.CreateAsync("worker");
        var harness = new WorkerHarness(emulator, connectionString, zoneId, ownsEmulator);
        harness.Settings["ConnectionStrings:Default"] = connectionString;
        harness.Settings["Secrets:Key"] = SecretsKey;
        harness.Settings["Cloudflare:BaseUrl"] = emulator.BaseUrl.ToString();
        harness.Settings["DnsWorker:MetricsPort"] = "0";
        harness.Settings["DnsWorker:InstanceId"] = "test-a";
        return harness;
    }

    private async Task SeedAsync(string secret, string? email, bool plaintextToken)
    {
        var stored = plaintextToken ? secret : new SecretProtector(Convert.FromBase64String(SecretsKey)).Protect(secret);
        await ExecuteAsync("""
            INSERT INTO domains (domain, status) VALUES (@Zone, 'active');
            INSERT INTO api_keys (name, account, api_token, provider, status) VALUES ('Cloudflare API', @Email, @Stored, 'cloudflare', 'active');
            INSERT INTO domain_dns_providers (domain_id, provider, provider_zone_id, api_key_id, status)
              VALUES (1, 'cloudflare', @ZoneId, 1, 'active');
            """, new { Zone, Email = email, Stored = stored, ZoneId });
    }

    /// <summary>A worker's service graph (not started); each call is another instance when <paramref name="instanceId"/> differs.</summary>
    public ServiceProvider Worker(string? instanceId = null, Action<Dictionary<string, string?>>? configure = null, Microsoft.Extensions.Logging.ILoggerProvider? logger = null)
    {
        var settings = new Dictionary<string, string?>(Settings);
        if (instanceId is not null) settings["DnsWorker:InstanceId"] = instanceId;
        configure?.Invoke(settings);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging(b =>
        {
            if (logger is null) return;
            b.SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Trace);
            b.AddProvider(logger);
        });
        services.AddSingleton<IHostApplicationLifetime, NoLifetime>();
        services.AddDnsWorker(configuration);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        providers.Add(provider);
        return provider;
    }

    /// <summary>The worker's own host (<see cref="WorkerHost"/>, as Program.cs builds it) with the harness settings.</summary>
    public IHost Host(Action<Dictionary<string, string?>>? configure = null)
    {
        var settings = new Dictionary<string, string?>(Settings);
        configure?.Invoke(settings);
        return WorkerHost.Build(new HostApplicationBuilderSettings { DisableDefaults = true }, c => c.AddInMemoryCollection(settings));
    }

    private SyncPass? defaultPass;

    public SyncPass Pass => defaultPass ??= Worker().GetRequiredService<SyncPass>();

    public Task<int> RunPassAsync() => Pass.RunOnceAsync(CancellationToken.None);

    /// <summary>Runs passes until one claims nothing.</summary>
    public async Task RunUntilIdleAsync(SyncPass? pass = null)
    {
        pass ??= Pass;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await pass.RunOnceAsync(CancellationToken.None) > 0)
            if (DateTime.UtcNow > deadline) Assert.Fail("the worker did not become idle within 30 s");
    }

    /// <summary>Runs passes until <paramref name="condition"/> holds (rows deferred by a Retry-After come due on their own).</summary>
    public Task RunUntilAsync(Func<Task<bool>> condition, string what, int seconds = 20, SyncPass? pass = null) =>
        EventuallyAsync(async () =>
        {
            await (pass ?? Pass).RunOnceAsync(CancellationToken.None);
            return await condition();
        }, what, seconds);

    public async Task<long> InsertAsync(string type, string name, string value, int ttl = 120, bool proxied = false,
        string desiredState = "present", string status = "pending", string? providerRecordId = null, int attemptCount = 0, int retryCount = 0)
    {
        const string sql = """
            INSERT INTO domain_dns_records (domain_id, type, name, value, ttl, proxied, status, desired_state, provider_record_id, attempt_count, retry_count)
            VALUES (@DomainId, @Type, @Name, @Value, @Ttl, @Proxied, @Status, @DesiredState, @ProviderRecordId, @AttemptCount, @RetryCount);
            SELECT LAST_INSERT_ID();
            """;
        await using var connection = new MySqlConnection(ConnectionString);
        return await connection.ExecuteScalarAsync<long>(sql, new
        {
            DomainId, Type = type, Name = name, Value = value, Ttl = ttl, Proxied = proxied, Status = status,
            DesiredState = desiredState, ProviderRecordId = providerRecordId, AttemptCount = attemptCount, RetryCount = retryCount,
        });
    }

    public async Task<DnsRecordRow?> RowAsync(long id)
    {
        await using var connection = new MySqlConnection(ConnectionString);
        return await connection.QuerySingleOrDefaultAsync<DnsRecordRow>(
            "SELECT * FROM domain_dns_records WHERE id = @id", new { id });
    }

    public async Task<DnsRecordRow> ExistingRowAsync(long id) =>
        await RowAsync(id) ?? throw new AssertionException($"row {id} is gone");

    public async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = new MySqlConnection(ConnectionString);
        return (await connection.QueryAsync<T>(sql, parameters)).ToList();
    }

    public async Task<int> ExecuteAsync(string sql, object? parameters = null)
    {
        await using var connection = new MySqlConnection(ConnectionString);
        return await connection.ExecuteAsync(sql, parameters);
    }

    public async Task<T> ScalarAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = new MySqlConnection(ConnectionString);
        return (await connection.ExecuteScalarAsync<T>(sql, parameters))!;
    }

    /// <summary>The comment this installation's worker puts on the remote record of row <paramref name="id"/>.</summary>
    public async Task<string> MarkerAsync(long id) =>
        $"dns-sync:{await ScalarAsync<string>("SELECT installation_id FROM installation WHERE id = 1")}:{id}";

    /// <summary>
    /// Runs <paramref name="action"/> (a pass that fails the row) and checks next_retry_at is <paramref name="seconds"/>
    /// after the failure, bracketed by database times read before and after it (no tolerance to tune).
    /// </summary>
    public async Task AssertBackoffAsync(long id, int seconds, Func<Task> action, string? because = null)
    {
        var before = await ScalarAsync<DateTime>("SELECT UTC_TIMESTAMP(6)");
        await action();
        var after = await ScalarAsync<DateTime>("SELECT UTC_TIMESTAMP(6)");
        var next = (await ExistingRowAsync(id)).NextRetryAt;
        Assert.That(next, Is.InRange(before.AddSeconds(seconds), after.AddSeconds(seconds)), because ?? $"retry {seconds} s after the failure");
    }

    /// <summary>Simulates the passing of time for a scheduled retry: the row becomes due now.</summary>
    public Task MakeDueAsync(long id) =>
        ExecuteAsync("UPDATE domain_dns_records SET next_retry_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE id = @id", new { id });

    /// <summary>The api's own SQL for intent changes (POST update, delete and retry), on this harness's database.</summary>
    public RecordQueries Api => api ??= new RecordQueries(dataSource ??= new MySqlDataSource(ConnectionString));

    private RecordQueries? api;
    private MySqlDataSource? dataSource;

    /// <summary>The api's audit SQL (GET and POST /domains/{id}/audit), on this harness's database.</summary>
    public DnsSync.Api.Audits.AuditQueries Audits => audits ??= new DnsSync.Api.Audits.AuditQueries(dataSource ??= new MySqlDataSource(ConnectionString), Api);

    /// <summary>GET /domains/{id}/plan: the api's plan SQL.</summary>
    public DnsSync.Api.Audits.PlanQueries Plans => new(dataSource ??= new MySqlDataSource(ConnectionString), Audits);

    /// <summary>POST /domains/{id}/import: the api's import, through its bulk create.</summary>
    public DnsSync.Api.Audits.ImportQueries Imports => new(dataSource ??= new MySqlDataSource(ConnectionString), Audits, new BulkCreateQueries(dataSource));

    private DnsSync.Api.Audits.AuditQueries? audits;

    /// <summary>POST /domains/{id}/audit (with confirm: true, releases a halted audit): fails unless the api accepted it.</summary>
    public async Task RequestAuditAsync(bool confirm = false)
    {
        var (outcome, problem) = await Audits.RequestAsync(DomainId, confirm, CancellationToken.None);
        Assert.That(outcome, Is.EqualTo(DnsSync.Api.Audits.AuditRequestOutcome.Requested), problem);
    }

    /// <summary>GET /domains/{id}/audit: the last audit with up to 100 of its differences.</summary>
    public async Task<DnsSync.Api.Audits.AuditDto> AuditAsync(string? kind = null) =>
        (await Audits.GetAsync(DomainId, kind, new DnsSync.Api.Infrastructure.Paging(1, 100, null), CancellationToken.None))!;

    /// <summary>POST /dns/records/update with a new value (and proxied): the api's UPDATE.</summary>
    public async Task UpdateIntentAsync(long id, string value, bool? proxied = null) =>
        Assert.That(await Api.UpdateAsync(id, value, null, proxied, CancellationToken.None), Is.Not.Null, $"record {id} is unknown");

    /// <summary>POST /dns/records/delete of one id: the api's UPDATE to absent.</summary>
    public async Task MarkAbsentAsync(long id) =>
        Assert.That(await Api.MarkAbsentAsync([id], CancellationToken.None), Is.EqualTo(1), $"record {id} was not present");

    /// <summary>POST /dns/records/retry: the api's UPDATE of an error row.</summary>
    public async Task RetryAsync(long id) =>
        Assert.That((await Api.RetryAsync(id, CancellationToken.None)).Retried, Is.True, $"record {id} was not in error");

    /// <summary>Creates a record at the emulator directly, as a person would in the dashboard.</summary>
    public async Task<string> CreateRemoteAsync(string type, string name, string content, string? comment = null, bool proxied = false)
    {
        using var http = new HttpClient { BaseAddress = Emulator.BaseUrl };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"zones/{ZoneId}/dns_records")
        {
            Content = JsonContent.Create(new { type, name, content, ttl = 120, proxied, comment }),
        };
        request.Headers.Authorization = new("Bearer", Token);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        Assert.That(response.IsSuccessStatusCode, Is.True, body.ToString());
        return body.GetProperty("result").GetProperty("id").GetString()!;
    }

    /// <summary>Changes a record at the emulator directly (PATCH), as a person would in the dashboard.</summary>
    public Task EditRemoteAsync(string recordId, object changes) => SendRemoteAsync(HttpMethod.Patch, $"zones/{ZoneId}/dns_records/{recordId}", changes);

    /// <summary>Deletes a record at the emulator directly, as a person would in the dashboard.</summary>
    public Task DeleteRemoteAsync(string recordId) => SendRemoteAsync(HttpMethod.Delete, $"zones/{ZoneId}/dns_records/{recordId}", null);

    /// <summary>One request to the emulator with the zone's token; fails the test unless it succeeded. Returns the answer's result.</summary>
    public async Task<System.Text.Json.JsonElement> SendRemoteAsync(HttpMethod method, string path, object? body)
    {
        using var http = new HttpClient { BaseAddress = Emulator.BaseUrl, Timeout = TimeSpan.FromSeconds(60) };
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new("Bearer", Token);
        using var response = await http.SendAsync(request);
        var answer = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        Assert.That(response.IsSuccessStatusCode, Is.True, answer.ToString());
        return answer.GetProperty("result");
    }

    public IReadOnlyList<CloudflareRecord> Remote() => Emulator.Records(ZoneId);

    public IReadOnlyList<CloudflareRecord> Remote(string zoneId) => Emulator.Records(zoneId);

    /// <summary>Another api_keys row holding <paramref name="token"/>, encrypted as the api stores it.</summary>
    public async Task<long> AddApiKeyAsync(string token)
    {
        var id = await ScalarAsync<long>("""
            INSERT INTO api_keys (name, api_token, provider, status) VALUES ('Cloudflare API', '', 'cloudflare', 'active');
            SELECT LAST_INSERT_ID();
            """);
        var stored = new SecretProtector(Convert.FromBase64String(SecretsKey)).Protect(token, id);
        await ExecuteAsync("UPDATE api_keys SET api_token = @Stored WHERE id = @Id", new { Stored = stored, Id = id });
        return id;
    }

    /// <summary>POST /dns/providers/bind of the harness's domain: the api's own transaction.</summary>
    public Task<DnsSync.Api.Providers.ProviderBindingDto> BindAsync(string zoneId, long apiKeyId, bool moveRecords = false) =>
        new DnsSync.Api.Providers.ProviderQueries(dataSource ??= new MySqlDataSource(ConnectionString))
            .SetBindingAsync(DomainId, "cloudflare", zoneId, apiKeyId, moveRecords, CancellationToken.None);

    /// <summary>GET /domains/{id}/stranded: the api's own query.</summary>
    public async Task<IReadOnlyList<DnsSync.Api.Providers.StrandedRecordDto>> StrandedAsync() =>
        (await new DnsSync.Api.Providers.StrandedRecordQueries(dataSource ??= new MySqlDataSource(ConnectionString))
            .ListAsync(DomainId, new DnsSync.Api.Infrastructure.Paging(1, 100, null), CancellationToken.None))!.List;

    public IReadOnlyList<RequestLogEntry> Requests(string? method = null) =>
        Emulator.Requests.Where(r => method is null || r.Method == method).ToList();

    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out after {seconds} s waiting for: {what}");
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (dataSource is not null) await dataSource.DisposeAsync();
        foreach (var provider in providers) await provider.DisposeAsync();
        if (ownsEmulator) await Emulator.DisposeAsync();
        await TestDatabase.DropAsync(ConnectionString);
    }

    private sealed class NoLifetime : IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => CancellationToken.None;
        public CancellationToken ApplicationStopping => CancellationToken.None;
        public CancellationToken ApplicationStopped => CancellationToken.None;
        public void StopApplication() { }
    }
}
