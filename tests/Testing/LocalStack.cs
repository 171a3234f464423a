using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DnsSync.Migrations;
using MySqlConnector;

namespace DnsSync.Testing;

/// <summary>What a <see cref="LocalStack"/> runs and how.</summary>
public sealed record LocalStackOptions
{
    /// <summary>Folder for the programs' logs.</summary>
    public required string LogDirectory { get; init; }
    public string Zone { get; init; } = "example.com";
    /// <summary>Extra zones bound to further domains (same token).</summary>
    public IReadOnlyList<string> ExtraZones { get; init; } = [];
    public int Workers { get; init; } = 1;
    /// <summary>Extra command-line arguments for the emulator (e.g. "--rate-limit", "100000").</summary>
    public IReadOnlyList<string> EmulatorArgs { get; init; } = [];
    public IReadOnlyDictionary<string, string?> WorkerEnvironment { get; init; } = new Dictionary<string, string?>();
    public IReadOnlyDictionary<string, string?> ApiEnvironment { get; init; } = new Dictionary<string, string?>();
    /// <summary>An existing server connection string (no database); null = the run's <see cref="TestDatabase"/> server.</summary>
    public string? ServerConnectionString { get; init; }
}

/// <summary>
/// The whole product as separate processes on loopback — a fresh migrated database, the Cloudflare emulator,
/// the api and N workers — with a domain, API key and binding registered through the api, as a user would.
/// Used by the reliability suite and the benchmarks.
/// </summary>
public sealed class LocalStack : IAsyncDisposable
{
    /// <summary>The Cloudflare API token every zone of the stack is granted to (for records made "by hand" at the emulator).</summary>
    public const string CloudflareToken = "stack-cloudflare-token";
    private readonly LocalStackOptions _options;
    private readonly Dictionary<string, string?> _baseEnvironment;
    private int _workerSequence;

    private LocalStack(LocalStackOptions options, string connectionString, string jwtSecret)
    {
        _options = options;
        ConnectionString = connectionString;
        JwtSecret = jwtSecret;
        _baseEnvironment = new()
        {
            ["ConnectionStrings__Default"] = connectionString,
            ["Secrets__Key"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Auth__JwtSecret"] = jwtSecret,
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
        };
    }

    public string ConnectionString { get; }
    public string JwtSecret { get; }
    public ManagedProcess Emulator { get; private set; } = null!;
    public Uri EmulatorUrl { get; private set; } = null!;
    public ManagedProcess Api { get; private set; } = null!;
    public Uri ApiUrl { get; private set; } = null!;
    public List<ManagedProcess> Workers { get; } = [];
    /// <summary>Zone name → (emulator zone id, domain id).</summary>
    public Dictionary<string, (string ZoneId, long DomainId)> Zones { get; } = [];
    /// <summary>An HTTP client for the api with a valid bearer token.</summary>
    public HttpClient ApiClient { get; private set; } = null!;
    /// <summary>An HTTP client for the emulator (control routes need no auth).</summary>
    public HttpClient EmulatorClient { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public static async Task<LocalStack> StartAsync(LocalStackOptions options, CancellationToken cancellationToken = default)
    {
        var server = options.ServerConnectionString ?? await TestDatabase.ServerConnectionStringAsync(cancellationToken);
        var database = $"stack_{Guid.NewGuid():N}";
        await using (var connection = new MySqlConnection(server))
        {
            await connection.OpenAsync(cancellationToken);
            await using var create = new MySqlCommand($"CREATE DATABASE `{database}` CHARACTER SET utf8mb4", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        var connectionString = new MySqlConnectionStringBuilder(server) { Database = database, MaximumPoolSize = 100 }.ConnectionString;
        await new Migrator(connectionString).UpAsync(cancellationToken);

        var stack = new LocalStack(options, connectionString, Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)));
        try
        {
            await stack.StartEmulatorAsync(cancellationToken);
            await stack.StartApiAsync(cancellationToken);
            foreach (var zone in options.ExtraZones.Prepend(options.Zone)) await stack.RegisterZoneAsync(zone, cancellationToken);
            for (var i = 0; i < options.Workers; i++) stack.StartWorker();
            return stack;
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts one more worker process (instance ids w1, w2, …).</summary>
    public ManagedProcess StartWorker(IReadOnlyDictionary<string, string?>? extraEnvironment = null)
    {
        var id = Interlocked.Increment(ref _workerSequence);
        var environment = new Dictionary<string, string?>(_baseEnvironment)
        {
            ["Cloudflare__BaseUrl"] = EmulatorUrl.ToString(),
            ["DnsWorker__InstanceId"] = $"w{id}",
            ["DnsWorker__MetricsPort"] = "0",
        };
        foreach (var (key, value) in _options.WorkerEnvironment) environment[key] = value;
        foreach (var (key, value) in extraEnvironment ?? new Dictionary<string, string?>()) environment[key] = value;
        var worker = ManagedProcess.Start($"worker-{id}", "worker", "dns-sync-worker", [], environment, _options.LogDirectory);
        Workers.Add(worker);
        return worker;
    }

    /// <summary>A HS256 JWT for the api with the scope dns:admin (or <paramref name="scope"/>), valid for <paramref name="lifetime"/> (negative = already expired).</summary>
    public string MintToken(TimeSpan lifetime, string subject = "stack", string scope = "dns:admin") => Jwt.Create(JwtSecret, subject, lifetime, scope: scope);

    /// <summary>Every record the emulator holds in <paramref name="zone"/> (default: the main zone).</summary>
    public async Task<JsonArray> RemoteRecordsAsync(string? zone = null, CancellationToken cancellationToken = default)
    {
        var zoneId = Zones[zone ?? _options.Zone].ZoneId;
        return (await EmulatorClient.GetFromJsonAsync<JsonArray>(new Uri(EmulatorUrl, $"__emulator/zones/{zoneId}/records"), cancellationToken))!;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var worker in Workers) await worker.DisposeAsync();
        if (Api is not null) await Api.DisposeAsync();
        if (Emulator is not null) await Emulator.DisposeAsync();
        ApiClient?.Dispose();
        EmulatorClient.Dispose();
        MySqlConnection.ClearAllPools();
        try
        {
            await TestDatabase.DropAsync(ConnectionString);
        }
        catch (MySqlException)
        {
            // The server may be down on purpose (outage scenarios); it is thrown away with the run.
        }
    }

    private async Task StartEmulatorAsync(CancellationToken cancellationToken)
    {
        var port = Ports.Free();
        EmulatorUrl = new Uri($"http://127.0.0.1:{port}/");
        Emulator = ManagedProcess.Start("emulator", "tests/CloudflareEmulator", "DnsSync.CloudflareEmulator",
            ["--urls", $"http://127.0.0.1:{port}", .. _options.EmulatorArgs], new Dictionary<string, string?>(), _options.LogDirectory);
        await WaitForAsync(new Uri(EmulatorUrl, "__emulator/faults"), Emulator, cancellationToken);
    }

    private async Task StartApiAsync(CancellationToken cancellationToken)
    {
        var port = Ports.Free();
        ApiUrl = new Uri($"http://127.0.0.1:{port}/");
        var environment = new Dictionary<string, string?>(_baseEnvironment)
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            // The stack's one client is a load generator on purpose; the per-client rate limit is tested in Api.Tests.
            ["RateLimit__PermitsPerSecond"] = "0",
        };
        foreach (var (key, value) in _options.ApiEnvironment) environment[key] = value;
        Api = ManagedProcess.Start("api", "api", "dns-sync-api", [], environment, _options.LogDirectory);
        await WaitForAsync(new Uri(ApiUrl, "health/ready"), Api, cancellationToken);
        ApiClient = new HttpClient { BaseAddress = ApiUrl, Timeout = TimeSpan.FromSeconds(30) };
        ApiClient.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", MintToken(TimeSpan.FromHours(6)));
    }

    private async Task RegisterZoneAsync(string zone, CancellationToken cancellationToken)
    {
        var created = await EmulatorClient.PostAsJsonAsync(new Uri(EmulatorUrl, "__emulator/zones"), new { name = zone, token = CloudflareToken }, cancellationToken);
        var zoneId = (await created.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonObject>(cancellationToken))!["id"]!.GetValue<string>();
        var domainId = await PostForIdAsync("api/v1/domains/create", new { domain = zone }, cancellationToken);
        var keyId = await PostForIdAsync("api/v1/api-keys/create", new { name = $"key for {zone}", provider = "cloudflare", apiToken = CloudflareToken }, cancellationToken);
        await PostForIdAsync("api/v1/dns/providers/bind", new { domainId, provider = "cloudflare", providerZoneId = zoneId, apiKeyId = keyId }, cancellationToken);
        Zones[zone] = (zoneId, domainId);
    }

    private async Task<long> PostForIdAsync(string path, object body, CancellationToken cancellationToken)
    {
        using var response = await ApiClient.PostAsJsonAsync(path, body, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"POST {path} → {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!["data"]!["id"]!.GetValue<long>();
    }

    private static async Task WaitForAsync(Uri url, ManagedProcess process, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException($"{process.Name} exited with {process.ExitCode}:\n{process.LogTail()}");
            try
            {
                using var response = await http.GetAsync(url, cancellationToken);
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested) { }
            await Task.Delay(100, cancellationToken);
        }
        throw new TimeoutException($"{process.Name} did not answer {url} within 60 s:\n{process.LogTail()}");
    }
}

/// <summary>Minimal HS256 JWTs for tests, written out by hand so tests do not depend on the api's own token code.</summary>
public static class Jwt
{
    /// <param name="scope">dns:admin by default: the stack registers domains, keys and bindings, and drives records.</param>
    public static string Create(string secret, string subject, TimeSpan lifetime, string? issuer = null, string scope = "dns:admin")
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var payload = new Dictionary<string, object> { ["sub"] = subject, ["iat"] = now, ["exp"] = now + (long)lifetime.TotalSeconds, ["scope"] = scope };
        if (issuer is not null) payload["iss"] = issuer;
        return Sign(secret, new { alg = "HS256", typ = "JWT" }, payload);
    }

    public static string Sign(string secret, object header, object payload)
    {
        var unsigned = $"{Base64Url(JsonSerializer.SerializeToUtf8Bytes(header))}.{Base64Url(JsonSerializer.SerializeToUtf8Bytes(payload))}";
        var signature = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(unsigned));
        return $"{unsigned}.{Base64Url(signature)}";
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
