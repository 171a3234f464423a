using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using DnsSync.Benchmarks.Harness;
using DnsSync.Testing;
using MySqlConnector;
using static DnsSync.Benchmarks.Harness.ResultWriter;

namespace DnsSync.Benchmarks.Scenarios;

/// <summary>Issue 14's scenarios: 10,000 records through the bulk route, and record lists with a million rows in the table.</summary>
internal sealed record ApiScaleResult(
    int BulkRecords, int BulkRequests, double BulkSeconds, double BulkRecordsPerSecond,
    long RowsInTable, int Domains, IReadOnlyList<ListLatency> Lists, double FillSeconds);

/// <param name="Name">What was listed, as the table shows it.</param>
internal sealed record ListLatency(string Name, int Concurrency, ThroughputResult Result);

/// <summary>
/// Bulk: 10,000 A records over the stack's zones sent as ten <c>POST /dns/records/bulk-create</c> of 1,000, one after
/// the other, timed from the first request to the last answer (no worker running). Lists: the table is filled to a
/// million rows with SQL (spread over the zones, mostly active), then closed loops of <c>GET /dns/records</c> — a
/// domain's first page, a deep page by cursor, a domain filtered by status, and the unfiltered list — are timed after a
/// warm-up, at concurrency 1 (latency alone) and 8 (several clients).
/// </summary>
internal static class ApiScaleScenario
{
    public const int BulkRecords = 10_000;
    public const int BulkSize = 1_000;

    public static async Task<ApiScaleResult> RunAsync(BenchSettings settings, string logDirectory, CancellationToken cancellationToken)
    {
        var quick = settings.Mode == "quick";
        var zones = Enumerable.Range(1, settings.Zones - 1).Select(i => $"s{i}.example.net").ToList();
        await using var stack = await LocalStack.StartAsync(new LocalStackOptions
        {
            LogDirectory = Path.Combine(logDirectory, "scale"),
            Zone = "s0.example.net",
            ExtraZones = zones,
            Workers = 0,
            EmulatorArgs = ThroughputAndConvergence.EmulatorArgs,
        }, cancellationToken);
        var domainIds = stack.Zones.Values.Select(z => z.DomainId).Order().ToArray();

        // A few bulk requests first, so the timed ones do not measure start-up and JIT.
        for (var w = 0; w < 3; w++) await BulkAsync(stack, domainIds, $"warm{w}", 0, cancellationToken);
        Console.WriteLine($"[scale] bulk create, {BulkRecords:N0} records in requests of {BulkSize:N0}");
        var clock = Stopwatch.StartNew();
        for (var request = 0; request < BulkRecords / BulkSize; request++)
            await BulkAsync(stack, domainIds, "bulk", request, cancellationToken);
        var bulkSeconds = clock.Elapsed.TotalSeconds;

        var rows = quick ? 100_000L : 1_000_000L;
        Console.WriteLine($"[scale] filling the table to {rows:N0} rows");
        clock.Restart();
        await FillAsync(stack.ConnectionString, domainIds, rows, cancellationToken);
        var fillSeconds = clock.Elapsed.TotalSeconds;
        long inTable;
        await using (var connection = new MySqlConnection(stack.ConnectionString))
            inTable = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM domain_dns_records", cancellationToken: cancellationToken, commandTimeout: 600));

        var warmup = quick ? TimeSpan.FromSeconds(5) : TimeSpan.FromSeconds(15);
        var window = quick ? TimeSpan.FromSeconds(5) : TimeSpan.FromSeconds(15);
        var deepCursors = await DeepCursorsAsync(stack, domainIds, cancellationToken);
        var loads = new (string Name, Func<int, long, string> Path)[]
        {
            ("a domain's first page (`domainId`, pageSize 20)", (loop, seq) => $"api/v1/dns/records?domainId={domainIds[(loop + seq) % domainIds.Length]}&pageSize=20"),
            ("a domain, page by cursor 2,500 rows deep (`after`)", (loop, seq) => $"api/v1/dns/records?domainId={domainIds[(loop + seq) % domainIds.Length]}&pageSize=20&after={deepCursors[(loop + seq) % deepCursors.Length]}"),
            ("a domain by status (`domainId&status=error`)", (loop, seq) => $"api/v1/dns/records?domainId={domainIds[(loop + seq) % domainIds.Length]}&status=error&pageSize=20"),
            ("the whole table, first page (no filter)", (_, _) => "api/v1/dns/records?pageSize=20"),
        };
        var lists = new List<ListLatency>();
        foreach (var concurrency in new[] { 1, 8 })
            foreach (var (name, path) in loads)
            {
                Console.WriteLine($"[scale] lists: {name}, {concurrency} loop(s)");
                var result = await ClosedLoop.RunAsync(concurrency, warmup, window, async (loop, seq, ct) =>
                {
                    using var response = await stack.ApiClient.GetAsync(path(loop, seq), ct);
                    await response.Content.ReadAsByteArrayAsync(ct);
                    return response.IsSuccessStatusCode;
                }, cancellationToken);
                lists.Add(new ListLatency(name, concurrency, result));
            }

        return new ApiScaleResult(BulkRecords, BulkRecords / BulkSize, Math.Round(bulkSeconds, 2), Math.Round(BulkRecords / bulkSeconds, 0),
            inTable, domainIds.Length, lists, Math.Round(fillSeconds, 1));
    }

    private static async Task BulkAsync(LocalStack stack, long[] domainIds, string prefix, int request, CancellationToken cancellationToken)
    {
        var records = Enumerable.Range(0, BulkSize).Select(i => new
        {
            domainId = domainIds[i % domainIds.Length], type = "A", name = $"{prefix}-{request}-{i}", value = StackOps.Address(i),
            ttl = 300, ownerType = "external", ownerId = 1,
        });
        using var response = await stack.ApiClient.PostAsJsonAsync("api/v1/dns/records/bulk-create", new { records }, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"bulk-create → {(int)response.StatusCode}: {text[..Math.Min(text.Length, 500)]}");
    }

    /// <summary>Rows straight into the table, 100,000 per statement: 1 in 1,000 in error, the rest active, as a table that has run a while.</summary>
    private static async Task FillAsync(string connectionString, long[] domainIds, long rows, CancellationToken cancellationToken)
    {
        const string digits = "(SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)";
        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        var have = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM domain_dns_records", cancellationToken: cancellationToken));
        var domains = string.Join(",", domainIds);
        for (var start = have; start < rows; start += 100_000)
        {
            var count = Math.Min(100_000, rows - start);
            var sql = new StringBuilder($"""
                INSERT INTO domain_dns_records (domain_id, type, name, value, ttl, status, owner_type, owner_id, provider_record_id, synced_version, last_synced_at)
                SELECT ELT(1 + n % {domainIds.Length}, {domains}), 'A', CONCAT('fill-', {start} + n), CONCAT('10.', n % 250, '.', n DIV 250 % 250, '.1'), 300,
                       IF(n % 1000 = 0, 'error', 'active'), 'external', n % 97, CONCAT('cf-', {start} + n), 1, UTC_TIMESTAMP(6)
                FROM (SELECT a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d AS n
                      FROM {digits} a, {digits} b, {digits} c, {digits} e, {digits} f) seq
                WHERE n < {count}
                """);
            await connection.ExecuteAsync(new CommandDefinition(sql.ToString(), cancellationToken: cancellationToken, commandTimeout: 1200));
        }
        await connection.ExecuteAsync(new CommandDefinition("ANALYZE TABLE domain_dns_records", cancellationToken: cancellationToken, commandTimeout: 600));
    }

    /// <summary>For each domain, the cursor 2,500 rows deep (125 pages of 20), found by following nextCursor from the api once.</summary>
    private static async Task<string[]> DeepCursorsAsync(LocalStack stack, long[] domainIds, CancellationToken cancellationToken)
    {
        var cursors = new List<string>();
        foreach (var domainId in domainIds)
        {
            var page = JsonNode.Parse(await stack.ApiClient.GetStringAsync($"api/v1/dns/records?domainId={domainId}&pageSize=100&page=25", cancellationToken))!;
            if (page["data"]?["nextCursor"]?.GetValue<string>() is { } cursor) cursors.Add(cursor);
        }
        return cursors.Count > 0 ? [.. cursors] : ["1"];
    }

    public static void Render(ApiScaleResult s, Action<string> line)
    {
        line("### 6. Bulk create and lists at scale (issue 14)");
        line("");
        line($"Bulk: {s.BulkRecords:N0} A records over {s.Domains} zones in {s.BulkRequests} sequential `POST /dns/records/bulk-create` requests of "
             + $"{BulkSize:N0}, no worker running: **{F(s.BulkSeconds, 2)} s** ({F(s.BulkRecordsPerSecond, 0)} records/s).");
        line("");
        line($"Lists with {s.RowsInTable:N0} rows in the table ({s.Domains} domains, filled with SQL in {F(s.FillSeconds, 0)} s):");
        line("");
        line("| list | loops | requests/s | p50 | p95 | p99 | errors |");
        line("|---|---|---|---|---|---|---|");
        foreach (var l in s.Lists)
            line($"| {l.Name} | {l.Concurrency} | {F(l.Result.PerSecond, 0)} | {Ms(l.Result.LatencyMs.P50)} | {Ms(l.Result.LatencyMs.P95)} | {Ms(l.Result.LatencyMs.P99)} | {l.Result.Errors} |");
        line("");
    }
}
