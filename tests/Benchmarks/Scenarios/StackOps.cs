using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using DnsSync.Benchmarks.Harness;
using DnsSync.Testing;
using MySqlConnector;

namespace DnsSync.Benchmarks.Scenarios;

/// <summary>What the scenarios do to a running <see cref="LocalStack"/>.</summary>
internal static class StackOps
{
    /// <summary>A distinct documentation-range-free IPv4 address per index (10.x.y.z).</summary>
    public static string Address(long index) => $"10.{(index >> 16) & 255}.{(index >> 8) & 255}.{index & 255}";

    /// <summary>Creates an A record through the api; returns its id.</summary>
    public static async Task<long> CreateRecordAsync(HttpClient api, long domainId, string name, string value, CancellationToken cancellationToken = default)
    {
        using var response = await api.PostAsJsonAsync("api/v1/dns/records/create",
            new { domainId, type = "A", name, value, ttl = 300, ownerType = "external", ownerId = 1 }, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"create {name} → {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!["data"]!["id"]!.GetValue<long>();
    }

    /// <summary>Polls the table until <paramref name="expected"/> rows are active (or any is in error, which fails the run).</summary>
    public static async Task WaitUntilActiveAsync(string connectionString, string namePrefix, int expected, TimeSpan timeout,
        CancellationToken cancellationToken = default)
    {
        const string sql = """
            SELECT COALESCE(SUM(status = 'active'), 0) AS Active, COALESCE(SUM(status = 'error'), 0) AS Failed
            FROM domain_dns_records WHERE name LIKE CONCAT(@Prefix, '%')
            """;
        var deadline = DateTime.UtcNow + timeout;
        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        while (true)
        {
            var (active, failed) = await connection.QuerySingleAsync<(long, long)>(
                new CommandDefinition(sql, new { Prefix = namePrefix }, cancellationToken: cancellationToken));
            if (failed > 0)
            {
                var error = await connection.QueryFirstAsync<string?>(new CommandDefinition(
                    "SELECT last_error FROM domain_dns_records WHERE status = 'error' LIMIT 1", cancellationToken: cancellationToken));
                throw new InvalidOperationException($"{failed} '{namePrefix}' rows went to error, e.g.: {error}");
            }
            if (active >= expected) return;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"only {active} of {expected} '{namePrefix}' rows active after {timeout}");
            await Task.Delay(100, cancellationToken);
        }
    }

    public static async Task<IReadOnlyList<EmulatorRequest>> ProviderLogAsync(LocalStack stack, CancellationToken cancellationToken = default) =>
        ProviderRequests.Parse(await stack.EmulatorClient.GetStringAsync(new Uri(stack.EmulatorUrl, "__emulator/requests"), cancellationToken));

    public static async Task SetEmulatorLatencyAsync(LocalStack stack, int milliseconds, CancellationToken cancellationToken = default)
    {
        using (var cleared = await stack.EmulatorClient.DeleteAsync(new Uri(stack.EmulatorUrl, "__emulator/faults"), cancellationToken))
            cleared.EnsureSuccessStatusCode();
        if (milliseconds <= 0) return;
        using var added = await stack.EmulatorClient.PostAsJsonAsync(new Uri(stack.EmulatorUrl, "__emulator/faults"),
            new { kind = "Latency", latencyMs = milliseconds }, cancellationToken);
        added.EnsureSuccessStatusCode();
    }

    /// <summary>Waits until the process's log holds <paramref name="text"/> (e.g. a start-up line).</summary>
    public static async Task WaitForLogAsync(ManagedProcess process, string text, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!(File.Exists(process.LogPath) && (await ReadSharedAsync(process.LogPath, cancellationToken)).Contains(text, StringComparison.Ordinal)))
        {
            if (process.HasExited) throw new InvalidOperationException($"{process.Name} exited with {process.ExitCode}:\n{process.LogTail()}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{process.Name} did not log '{text}' within {timeout}:\n{process.LogTail()}");
            await Task.Delay(100, cancellationToken);
        }
    }

    private static async Task<string> ReadSharedAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync(cancellationToken);
    }

    public static double MiB(long bytes) => Math.Round(bytes / 1024.0 / 1024.0, 1);

    /// <summary>Pids of the stack's processes (and this load generator and the database) for CPU accounting.</summary>
    public static Dictionary<string, int> Pids(LocalStack stack)
    {
        var pids = new Dictionary<string, int> { ["bench (load generator)"] = Environment.ProcessId };
        if (stack.Api is not null) pids["api"] = stack.Api.Pid;
        pids["emulator"] = stack.Emulator.Pid;
        foreach (var worker in stack.Workers.Where(w => !w.HasExited)) pids[worker.Name] = worker.Pid;
        if (TestDatabase.LocalServer?.ProcessId is { } db) pids["mariadbd"] = db;
        return pids;
    }
}
