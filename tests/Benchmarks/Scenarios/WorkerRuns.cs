using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using DnsSync.Benchmarks.Harness;
using DnsSync.Testing;
using MySqlConnector;

namespace DnsSync.Benchmarks.Scenarios;

/// <summary>What issue 12's scenarios (bulk create, failover, faults) share: the stack, the backlog, the timing and the audit.</summary>
internal static class WorkerRuns
{
    /// <summary>
    /// Cloudflare's limits as the emulator has them by default: 1,200 requests per 300 s per token, 200 changes per
    /// batch. Only the record quota is raised: a Free zone holds 200 records, and 1,000 per zone need a paid plan's 3,500.
    /// </summary>
    public static readonly string[] RealLimit = ["--record-quota", "1000000"];

    /// <summary>No practical rate limit, for runs whose point is not the limit (they say so).</summary>
    public static readonly string[] LiftedLimit = ["--rate-limit", "10000000", "--record-quota", "1000000"];

    /// <summary>The worker's own budget raised with the emulator's (it would otherwise keep to 1,200 per 300 s).</summary>
    public static readonly IReadOnlyDictionary<string, string?> LiftedBudget = new Dictionary<string, string?> { ["Cloudflare__RequestsPerWindow"] = "1000000" };

    /// <summary>Cloudflare's rate window, over which the busiest stretch of a run is counted.</summary>
    public static readonly TimeSpan LimitWindow = TimeSpan.FromSeconds(300);

    public static async Task<(LocalStack Stack, long[] DomainIds)> StartStackAsync(string logDirectory, int zones, IReadOnlyList<string> emulatorArgs,
        CancellationToken cancellationToken)
    {
        var stack = await LocalStack.StartAsync(new LocalStackOptions
        {
            LogDirectory = logDirectory,
            ExtraZones = Enumerable.Range(1, zones - 1).Select(i => $"z{i}.example.net").ToList(),
            Workers = 0,
            EmulatorArgs = emulatorArgs,
        }, cancellationToken);
        return (stack, stack.Zones.Values.Select(z => z.DomainId).Order().ToArray());
    }

    /// <summary>Records per <c>POST /dns/records/bulk-create</c> (the route's limit).</summary>
    public const int BulkCreateSize = 1_000;

    /// <summary>
    /// Creates <paramref name="count"/> A records through the api's bulk route, record i in zone i mod zones, so due
    /// rows interleave the zones as single creates from many clients would; returns their ids (by i) and the seconds it took.
    /// </summary>
    public static async Task<(long[] Ids, double Seconds)> CreateAsync(LocalStack stack, long[] domainIds, int count, string prefix,
        CancellationToken cancellationToken)
    {
        var ids = new long[count];
        var clock = Stopwatch.StartNew();
        for (var first = 0; first < count; first += BulkCreateSize)
        {
            var indexes = Enumerable.Range(first, Math.Min(BulkCreateSize, count - first)).ToList();
            var records = indexes.Select(i => new
            {
                domainId = domainIds[i % domainIds.Length], type = "A", name = $"{prefix}{i}", value = StackOps.Address(i), ttl = 300, ownerType = "external", ownerId = 1,
            });
            using var response = await stack.ApiClient.PostAsJsonAsync("api/v1/dns/records/bulk-create", new { records }, cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"bulk-create → {(int)response.StatusCode}: {text[..Math.Min(text.Length, 500)]}");
            var created = JsonNode.Parse(text)!["data"]!["records"]!.AsArray();
            for (var k = 0; k < indexes.Count; k++) ids[indexes[k]] = created[k]!["id"]!.GetValue<long>();
        }
        return (ids, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Changes the value of each record through the api (<c>POST /dns/records/update</c>); returns the seconds it took.</summary>
    public static async Task<double> UpdateAsync(HttpClient api, IReadOnlyList<(long Id, string Value)> changes, int concurrency, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(changes, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken }, async (change, ct) =>
        {
            using var response = await api.PostAsJsonAsync("api/v1/dns/records/update", new { id = change.Id, value = change.Value }, ct);
            if (!response.IsSuccessStatusCode)
                throw new InvalidOperationException($"update {change.Id} → {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
        });
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Polls until <paramref name="expected"/> rows named <paramref name="prefix"/>… are active with their current
    /// version applied (synced_version = version, so a value change counts only once it reached the provider). Gives
    /// up at the timeout, or early once a row is in error with no automatic retry left (it would never get there).
    /// </summary>
    /// <returns>Whether they all got there.</returns>
    public static async Task<bool> WaitUntilSyncedAsync(string connectionString, string prefix, int expected, TimeSpan timeout, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT COALESCE(SUM(status = 'active' AND synced_version = version), 0) AS Synced,
                   COALESCE(SUM(status = 'error' AND next_retry_at IS NULL), 0) AS GaveUp
            FROM domain_dns_records WHERE name LIKE CONCAT(@Prefix, '%')
            """;
        var deadline = Stopwatch.StartNew();
        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        while (true)
        {
            var (synced, gaveUp) = await connection.QuerySingleAsync<(long, long)>(new CommandDefinition(sql, new { Prefix = prefix }, cancellationToken: cancellationToken));
            if (synced >= expected) return true;
            if (gaveUp > 0)
            {
                Console.WriteLine($"[{prefix}] {gaveUp} rows in error with no retry left; not waiting for them");
                return false;
            }
            if (deadline.Elapsed > timeout)
            {
                Console.WriteLine($"[{prefix}] only {synced} of {expected} rows synced after {timeout.TotalSeconds:F0} s");
                return false;
            }
            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>Every row and every record the emulator holds in the stack's zones, compared.</summary>
    public static async Task<StateAudit> AuditAsync(LocalStack stack, CancellationToken cancellationToken)
    {
        List<AuditRow> rows;
        await using (var connection = new MySqlConnection(stack.ConnectionString))
        {
            rows = (await connection.QueryAsync<(long Id, string Zone, string Type, string Name, string Value, string Status, string DesiredState, long Synced, string? ProviderRecordId)>(
                new CommandDefinition("""
                    SELECT r.id, d.domain, r.type, r.name, r.value, r.status, r.desired_state,
                           COALESCE(r.synced_version = r.version, 0) AS synced, r.provider_record_id
                    FROM domain_dns_records r JOIN domains d ON d.id = r.domain_id
                    """, cancellationToken: cancellationToken)))
                .Select(r => new AuditRow(r.Id, r.Type, r.Name == "@" ? r.Zone : $"{r.Name}.{r.Zone}", r.Value, r.Status, r.DesiredState == "present", r.Synced != 0, r.ProviderRecordId))
                .ToList();
        }
        var remote = new List<AuditRemote>();
        foreach (var zone in stack.Zones.Keys)
        {
            foreach (var record in await stack.RemoteRecordsAsync(zone, cancellationToken))
                remote.Add(new AuditRemote(Text(record, "id")!, Text(record, "type")!, Text(record, "name")!, Text(record, "content") ?? "", Text(record, "comment")));
        }
        return StateAudit.Of(rows, remote);
    }

    private static string? Text(JsonNode? record, string field) => record?[field]?.GetValue<string>();

    /// <summary>
    /// The numbers of a run, from the emulator's log since <paramref name="logBefore"/> (the count of entries before
    /// the run); <paramref name="startedAt"/> is when its clock started (the emulator logs on the same machine clock).
    /// </summary>
    public static async Task<WorkerRun> SummarizeAsync(WorkerRunSetup setup, LocalStack stack, int logBefore, DateTimeOffset startedAt, double wallSeconds, bool converged,
        IReadOnlyDictionary<string, double> cpu, IReadOnlyDictionary<string, double> lockWaits, IEnumerable<ManagedProcess> workers, CancellationToken cancellationToken)
    {
        var log = (await StackOps.ProviderLogAsync(stack, cancellationToken)).Skip(logBefore).ToList();
        var count = ProviderRequests.Count(log);
        var audit = await AuditAsync(stack, cancellationToken);
        var run = new WorkerRun
        {
            Label = setup.Label,
            Diagnostic = setup.Diagnostic,
            Workers = setup.Workers,
            Records = setup.Records,
            Zones = stack.Zones.Count,
            SubmitSeconds = Math.Round(setup.SubmitSeconds, 2),
            WallSeconds = Math.Round(wallSeconds, 2),
            FirstRequestSeconds = log.Count == 0 ? null : Math.Round((log.Min(r => r.Time) - startedAt).TotalSeconds, 2),
            TimedFrom = setup.TimedFrom,
            Converged = converged,
            ProviderRequests = count.Total,
            RequestsByKind = count.ByKind,
            RateLimited = count.RateLimited,
            RequestsPerRecord = (double)count.Total / setup.Records,
            MaxRequestsInWindow = RequestWindows.BusiestCredentialWindow(log, LimitWindow),
            LimitWindowSeconds = LimitWindow.TotalSeconds,
            ProviderLimitLifted = setup.EmulatorArgs.Contains("--rate-limit"),
            Audit = audit,
            CpuSeconds = cpu,
            WorkerSettings = setup.WorkerSettings,
            EmulatorArgs = setup.EmulatorArgs,
            LockWaits = lockWaits,
            WorkerPeakRssMiB = workers.ToDictionary(w => w.Name, w => StackOps.MiB(w.PeakRssBytes())),
            Faults = log.Any(r => r.Fault is not null)
                ? log.Where(r => r.Fault is not null).GroupBy(r => r.Fault!).ToDictionary(g => g.Key, g => (long)g.Count())
                : null,
        };
        Console.WriteLine($"[{setup.Label}] {(converged ? "synced" : "NOT synced")} in {run.WallSeconds:F1} s; {run.ProviderRequests} requests ({run.RequestsPerRecord:F4}/record), "
                          + $"{run.RateLimited} × 429, busiest {LimitWindow.TotalSeconds:F0} s: {run.MaxRequestsInWindow}; audit: {audit.Duplicates} duplicates, "
                          + $"{audit.Orphans} orphans, {audit.Stuck} stuck, {audit.Wrong} wrong{string.Concat(audit.Examples.Take(3).Select(e => "\n  " + e))}");
        return run;
    }
}

/// <summary>How a run was set up, for its <see cref="WorkerRun"/>.</summary>
internal sealed record WorkerRunSetup(string Label, int Workers, int Records, double SubmitSeconds, string TimedFrom,
    IReadOnlyDictionary<string, string?> WorkerSettings, IReadOnlyList<string> EmulatorArgs, bool Diagnostic = false);
