using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using DnsSync.Testing;
using MySqlConnector;

namespace DnsSync.Reliability.Tests.Support;

/// <summary>One record a scenario declares through the api.</summary>
internal sealed record RecordSpec(string Type, string Name, string Value, int Ttl, bool Proxied);

/// <summary>
/// One Cloudflare-surface request from the emulator's log; [Time, End] is when it was in flight. RecordName and
/// Comment are the sent body's (creates and changes), Posts those of each post of a batch body (with the record each
/// created when the batch was applied), Patches and Deletes the ids a batch body patches and deletes, LookupName the
/// <c>name</c> filter of a list request.
/// </summary>
internal sealed record LoggedRequest(
    string Method, string Path, string Query, int Status, DateTimeOffset Time, string? Credential,
    IReadOnlyList<string> RecordIds, string? Fault, double DurationMs, string? RecordName = null, string? Comment = null,
    IReadOnlyList<SentPost>? Posts = null, IReadOnlyList<string?>? Patches = null, IReadOnlyList<string?>? Deletes = null)
{
    public DateTimeOffset End => Time.AddMilliseconds(DurationMs);
    public bool IsMutation => Method is "POST" or "PATCH" or "PUT" or "DELETE";
    public bool IsCreate => Method == "POST" && Path.EndsWith("/dns_records", StringComparison.Ordinal);
    public bool IsBatch => Method == "POST" && Path.EndsWith("/dns_records/batch", StringComparison.Ordinal);
    public bool IsLookup => Method == "GET" && Path.EndsWith("/dns_records", StringComparison.Ordinal);
    public string? LookupName => IsLookup ? System.Web.HttpUtility.ParseQueryString(Query)["name"] : null;

    /// <summary>A list of the whole zone (no name or type filter), as the worker makes to resolve many rows at once.</summary>
    public bool IsZoneListing
    {
        get
        {
            if (!IsLookup) return false;
            var query = System.Web.HttpUtility.ParseQueryString(Query);
            return query["name"] is null && query["type"] is null;
        }
    }

    /// <summary>The zone id in the path (<c>/zones/{id}/…</c>).</summary>
    public string? Zone
    {
        get
        {
            var parts = Path.Split('/');
            var at = Array.IndexOf(parts, "zones");
            return at >= 0 && at + 1 < parts.Length ? parts[at + 1] : null;
        }
    }

    /// <summary>How many records this request asked to change in place (a PATCH, or the patches of a batch).</summary>
    public int PatchCount => Method == "PATCH" ? 1 : IsBatch ? Patches?.Count ?? 0 : 0;

    /// <summary>How many records this request asked to delete (a DELETE, or the deletes of a batch).</summary>
    public int DeleteCount => Method == "DELETE" ? 1 : IsBatch ? Deletes?.Count ?? 0 : 0;

    /// <summary>Every record this request asked to create: a create's body, or each post of a batch (CreatedId when applied).</summary>
    public IReadOnlyList<SentPost> Creates =>
        IsCreate ? [new SentPost(RecordName, Comment, RecordIds.Count > 0 ? RecordIds[0] : null)] : IsBatch ? Posts ?? [] : [];
}

/// <summary>One record a request asked to create, and the id of the record it created when it was applied.</summary>
internal sealed record SentPost(string? Name, string? Comment, string? CreatedId = null);

/// <summary>What comparing the emulator's records with the database's intent found; Duplicates counts stale copies.</summary>
internal sealed record StateCheck(int Rows, int RemoteRecords, int Duplicates, IReadOnlyList<string> Problems);

/// <summary>Lease hand-overs recorded by <see cref="Scenario.InstallLeaseAuditAsync"/>.</summary>
internal sealed record LeaseAudit(
    int Claims, int ClaimsOfLiveLeases, int TakeoversOfExpiredLeases, IReadOnlyDictionary<string, int> ClaimsByInstance,
    IReadOnlyDictionary<string, int> TakeoversFromInstance);

/// <summary>Helpers every reliability scenario shares: the stack, intent through the api, convergence, and the checks.</summary>
internal static class Scenario
{
    public const string OwnerType = "external";

    /// <summary>Short timeouts so faults resolve in seconds: lease 8 s ≥ 3 × the 2 s provider timeout.</summary>
    public static Dictionary<string, string?> WorkerEnvironment(int batchSize = 50, int retryBaseSec = 30, int retryMaxSec = 1800) => new()
    {
        ["DnsWorker__IntervalSec"] = "1",
        ["DnsWorker__BatchSize"] = batchSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["DnsWorker__LeaseSec"] = "8",
        ["DnsWorker__RetryBaseSec"] = retryBaseSec.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["DnsWorker__RetryMaxSec"] = retryMaxSec.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Cloudflare__TimeoutSec"] = "2",
        ["Cloudflare__RequestsPerWindow"] = "1000000",
    };

    /// <summary>No provider rate limit or record quota unless a scenario asks for one.</summary>
    public static readonly IReadOnlyList<string> EmulatorArgs = ["--rate-limit", "1000000", "--record-quota", "100000"];

    /// <summary>The random seed of a scenario: RELIABILITY_SEED when set (to repeat a run), else a new one.</summary>
    public static int Seed() =>
        int.TryParse(Environment.GetEnvironmentVariable("RELIABILITY_SEED"), out var seed) ? seed : Environment.TickCount;

    public static string LogDirectory(string scenario) =>
        Path.Combine(TestContext.CurrentContext.WorkDirectory, "logs", "reliability", scenario);

    /// <summary>Mixed types: A, AAAA, TXT (SPF-like, with quotes and spaces), proxied CNAME.</summary>
    public static RecordSpec Spec(int i, string tag) => (i % 4) switch
    {
        0 => new("A", $"{tag}-{i}", Ipv4(i), 300, i % 8 == 4),
        1 => new("AAAA", $"{tag}-{i}", $"2001:db8::{i:x}", 600, false),
        2 => new("TXT", $"{tag}-{i}", $"\"v=spf1 include:{tag}{i}.example.net ~all\"", 120, false),
        _ => new("CNAME", $"{tag}-{i}", $"target-{i}.example.net", 1, true),
    };

    /// <summary>Another value of the same type for record <paramref name="i"/> (an update).</summary>
    public static string NewValue(RecordSpec spec, int i) => spec.Type switch
    {
        "A" => Ipv4(i + 400_000),
        "AAAA" => $"2001:db8:1::{i:x}",
        "TXT" => $"\"v=spf1 include:updated{i}.example.net -all\"",
        _ => $"moved-{i}.example.net",
    };

    private static string Ipv4(int i) => $"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}";

    /// <summary>Creates records through the api, <paramref name="parallelism"/> requests at a time; returns their ids in order.</summary>
    public static async Task<long[]> CreateAsync(HttpClient api, long domainId, IReadOnlyList<RecordSpec> specs, int parallelism = 16)
    {
        var ids = new long[specs.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, specs.Count), new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (i, ct) =>
        {
            var s = specs[i];
            var data = await PostAsync(api, "api/v1/dns/records/create",
                new { domainId, type = s.Type, name = s.Name, value = s.Value, ttl = s.Ttl, proxied = s.Proxied, ownerType = OwnerType, ownerId = i + 1 }, ct);
            ids[i] = data["id"]!.GetValue<long>();
        });
        return ids;
    }

    public static async Task UpdateAsync(HttpClient api, IEnumerable<(long Id, string Value)> updates, int parallelism = 16) =>
        await Parallel.ForEachAsync(updates, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (u, ct) =>
            await PostAsync(api, "api/v1/dns/records/update", new { id = u.Id, value = u.Value }, ct));

    public static async Task DeleteAsync(HttpClient api, IEnumerable<long> ids)
    {
        foreach (var chunk in ids.Chunk(50))
        {
            var data = await PostAsync(api, "api/v1/dns/records/delete", new { ids = chunk }, CancellationToken.None);
            Assert.That(data["affected"]!.GetValue<int>(), Is.EqualTo(chunk.Length), "every delete is accepted");
        }
    }

    public static async Task<JsonNode> PostAsync(HttpClient api, string path, object body, CancellationToken cancellationToken)
    {
        using var response = await api.PostAsJsonAsync(path, body, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"POST {path} → {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!["data"]!;
    }

    /// <summary>Polls until every row is present and active (absent rows deleted); fails early when a row ran out of retries.</summary>
    public static async Task<TimeSpan> WaitForConvergenceAsync(LocalStack stack, int expectedRows, TimeSpan timeout, Func<string>? diagnostics = null)
    {
        var watch = Stopwatch.StartNew();
        (long Total, long Active, long Error, long Running, long Absent) counts = default;
        while (watch.Elapsed < timeout)
        {
            await using var connection = new MySqlConnection(stack.ConnectionString);
            counts = await connection.QuerySingleAsync<(long, long, long, long, long)>("""
                SELECT COUNT(*),
                       COALESCE(SUM(status = 'active' AND desired_state = 'present'), 0),
                       COALESCE(SUM(status = 'error'), 0),
                       COALESCE(SUM(status = 'running'), 0),
                       COALESCE(SUM(desired_state = 'absent'), 0)
                FROM domain_dns_records
                """);
            if (counts.Total == expectedRows && counts.Active == expectedRows) return watch.Elapsed;
            var exhausted = await connection.QueryAsync<(long, string?)>(
                "SELECT id, last_error FROM domain_dns_records WHERE status = 'error' AND retry_count >= 10 LIMIT 5");
            if (exhausted.Any())
                Assert.Fail($"rows ran out of automatic retries: {string.Join("; ", exhausted)}\n{diagnostics?.Invoke()}");
            await Task.Delay(250);
        }
        // The state check too, so a failure to converge also shows what the provider holds (stale duplicates, say).
        var stale = (await CompareAsync(stack)).Problems.Where(p => p.StartsWith("stale duplicate", StringComparison.Ordinal)).ToList();
        Assert.Fail($"not converged within {timeout.TotalSeconds} s: {counts} (total, active, error, running, absent), expected {expectedRows} active; "
            + $"{stale.Count} stale duplicates at the provider{string.Concat(stale.Take(5).Select(d => "\n" + d))}\n{diagnostics?.Invoke()}");
        return watch.Elapsed;
    }

    /// <summary>True when every row is present and active within <paramref name="timeout"/> (false, not a failure, otherwise).</summary>
    public static async Task<bool> ConvergedWithinAsync(LocalStack stack, int expectedRows, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        do
        {
            if (await CountAsync(stack, "status = 'active' AND desired_state = 'present'") == expectedRows
                && await CountAsync(stack, "TRUE") == expectedRows) return true;
            await Task.Delay(250);
        }
        while (DateTime.UtcNow < deadline);
        return false;
    }

    /// <summary>Polls <paramref name="condition"/> until true or the deadline.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out after {timeout.TotalSeconds} s waiting for: {what}");
            await Task.Delay(50);
        }
    }

    public static async Task<long> CountAsync(LocalStack stack, string whereClause)
    {
        await using var connection = new MySqlConnection(stack.ConnectionString);
        return await connection.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM domain_dns_records WHERE {whereClause}");
    }

    /// <summary>
    /// The emulator's state equals the database's intent: every row present and active with exactly one remote
    /// record whose id is its provider_record_id and whose content, TTL and proxied match; no remote record without
    /// a row; and no stale duplicate (<see cref="StaleDuplicates"/>): no remote record carrying a row's marker that
    /// the row does not point at, no second record at a row's type and name.
    /// </summary>
    public static async Task<StateCheck> CompareAsync(LocalStack stack)
    {
        await using var connection = new MySqlConnection(stack.ConnectionString);
        var rows = (await connection.QueryAsync<(long Id, string Zone, string Type, string Name, string Value, int Ttl, bool Proxied, string Status, string DesiredState, string? ProviderRecordId)>("""
            SELECT r.id, d.domain, r.type, r.name, r.value, r.ttl, r.proxied, r.status, r.desired_state, r.provider_record_id
            FROM domain_dns_records r JOIN domains d ON d.id = r.domain_id
            """)).ToList();
        var remote = new List<(string Zone, JsonNode Record)>();
        foreach (var zone in stack.Zones.Keys)
            remote.AddRange((await stack.RemoteRecordsAsync(zone)).Select(r => (zone, r!)));

        var problems = new List<string>();
        var byId = remote.GroupBy(r => Str(r.Record, "id")).ToDictionary(g => g.Key, g => g.First().Record);
        var duplicates = StaleDuplicates.Find(
            rows.Select(r => new IntentRow(r.Id, r.Type, r.Name == "@" ? r.Zone : $"{r.Name}.{r.Zone}", r.ProviderRecordId, r.DesiredState == "present")),
            remote.Select(r => new RemoteRecord(Str(r.Record, "id"), Str(r.Record, "type"), Str(r.Record, "name"), r.Record["comment"]?.GetValue<string>())));
        problems.AddRange(duplicates.Select(d => "stale duplicate: " + d));

        var referenced = new HashSet<string>();
        foreach (var row in rows)
        {
            if (row.DesiredState != "present" || row.Status != "active")
            {
                problems.Add($"row {row.Id} is {row.DesiredState}/{row.Status}");
                continue;
            }
            if (row.ProviderRecordId is null || !byId.TryGetValue(row.ProviderRecordId, out var r))
            {
                problems.Add($"row {row.Id} ({row.Type} {row.Name}) has no remote record (provider_record_id {row.ProviderRecordId ?? "NULL"})");
                continue;
            }
            referenced.Add(row.ProviderRecordId);
            var fqdn = row.Name == "@" ? row.Zone : $"{row.Name}.{row.Zone}";
            var ttl = row.Proxied ? 1 : row.Ttl;
            if (Str(r, "type") != row.Type || Str(r, "name") != fqdn
                || Canonical(row.Type, Str(r, "content")) != Canonical(row.Type, row.Value)
                || r["ttl"]!.GetValue<int>() != ttl || r["proxied"]!.GetValue<bool>() != row.Proxied)
                problems.Add($"row {row.Id} wants {row.Type} {fqdn} {row.Value} ttl {ttl} proxied {row.Proxied}; remote has {r.ToJsonString()}");
        }
        if (rows.GroupBy(r => r.ProviderRecordId).Any(g => g.Key is not null && g.Count() > 1))
            problems.Add("two rows reference the same remote record");
        problems.AddRange(remote.Where(r => !referenced.Contains(Str(r.Record, "id")))
            .Select(r => $"remote record without a row: {r.Record.ToJsonString()}"));
        return new StateCheck(rows.Count, remote.Count, duplicates.Count, problems);
    }

    public static void AssertMatches(StateCheck check, int expectedRows)
    {
        Assert.Multiple(() =>
        {
            Assert.That(check.Problems, Is.Empty, string.Join("\n", check.Problems.Take(20)));
            Assert.That(check.Duplicates, Is.Zero);
            Assert.That(check.Rows, Is.EqualTo(expectedRows));
            Assert.That(check.RemoteRecords, Is.EqualTo(expectedRows));
        });
    }

    /// <summary>
    /// Creates sent again without looking first. A create (a plain POST or one post of a batch) that was answered 2xx,
    /// 5xx or not at all (a lost answer, a timeout, a kill) may have been applied, and only a look can tell; a 4xx (a
    /// refusal, a 429, a refused batch) applied nothing. So for every row marker, each create after such a
    /// maybe-applied one must be preceded, since that create arrived, by a successful look at the zone: a lookup of
    /// the record's name or a listing of the whole zone. A create sent again blind is the "sent twice" a stale
    /// duplicate comes from.
    /// </summary>
    public static List<string> CreatesSentAgainWithoutLookup(IReadOnlyList<LoggedRequest> log)
    {
        var looks = log.Where(r => r.IsLookup && r.Status == 200).ToList();
        var found = new List<string>();
        foreach (var marker in MarkedCreates(log))
        {
            for (var i = 1; i < marker.Count; i++)
            {
                var (again, post) = marker[i];
                var maybeApplied = marker.Take(i).Select(c => c.Request).LastOrDefault(r => r.Status is not (>= 400 and < 500));
                if (maybeApplied is null) continue;
                var name = post.Name?.TrimEnd('.');
                if (!looks.Any(l => l.Time > maybeApplied.Time && l.Time < again.Time && l.Zone == again.Zone
                        && (l.IsZoneListing || string.Equals(l.LookupName?.TrimEnd('.'), name, StringComparison.OrdinalIgnoreCase))))
                    found.Add($"{post.Comment}: create #{i + 1} ({Describe(again)}) without a lookup of {name} or a listing of its zone since a create that may have been applied ({Describe(maybeApplied)})");
            }
        }
        return found;
    }

    /// <summary>
    /// Creates of a row sent again after an earlier create of it was applied (the emulator logs the record each create
    /// made, also when a fault then replaced the reply). Whatever the answer said, a look at the zone would have found
    /// that record, so a correct worker adopts it; a second create means the earlier one was taken as not applied.
    /// </summary>
    public static List<string> AppliedCreatesSentAgain(IReadOnlyList<LoggedRequest> log)
    {
        var found = new List<string>();
        foreach (var marker in MarkedCreates(log))
        {
            var applied = marker.FirstOrDefault(c => c.Post.CreatedId is not null);
            if (applied.Request is null) continue;
            found.AddRange(marker.Where(c => c.Request.Time > applied.Request.Time).Select(c =>
                $"{c.Post.Comment}: created as {applied.Post.CreatedId} by {Describe(applied.Request)}, then sent again by {Describe(c.Request)}"));
        }
        return found;
    }

    /// <summary>The creates carrying a dns-sync marker, per marker in order of arrival.</summary>
    public static List<List<(LoggedRequest Request, SentPost Post)>> MarkedCreates(IReadOnlyList<LoggedRequest> log) =>
        log.SelectMany(r => r.Creates.Select(p => (Request: r, Post: p)))
            .Where(c => StaleDuplicates.TryParseMarker(c.Post.Comment, out _))
            .GroupBy(c => c.Post.Comment!)
            .Select(g => g.OrderBy(c => c.Request.Time).ToList())
            .ToList();

    private static string Describe(LoggedRequest r) =>
        $"{r.Method} {(r.IsBatch ? "batch" : r.Path)} at {r.Time:O}, status {r.Status}{(r.Fault is null ? "" : $", fault {r.Fault}")}";

    public static async Task<List<LoggedRequest>> RequestLogAsync(LocalStack stack) =>
        (await stack.EmulatorClient.GetFromJsonAsync<List<LoggedRequest>>(new Uri(stack.EmulatorUrl, "__emulator/requests"), JsonSerializerOptions.Web))!;

    public static async Task AddFaultAsync(LocalStack stack, object rule)
    {
        using var response = await stack.EmulatorClient.PostAsJsonAsync(new Uri(stack.EmulatorUrl, "__emulator/faults"), rule);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
    }

    public static async Task<JsonArray> FaultsAsync(LocalStack stack) =>
        (await stack.EmulatorClient.GetFromJsonAsync<JsonArray>(new Uri(stack.EmulatorUrl, "__emulator/faults")))!;

    public static async Task ClearFaultsAsync(LocalStack stack)
    {
        using var response = await stack.EmulatorClient.DeleteAsync(new Uri(stack.EmulatorUrl, "__emulator/faults"));
        response.EnsureSuccessStatusCode();
    }

    /// <summary>
    /// Pairs of mutating requests for the same remote record whose in-flight intervals overlap at the emulator:
    /// the provider-side trace of two workers acting on one record at once.
    /// </summary>
    public static List<string> OverlappingMutations(IEnumerable<LoggedRequest> log)
    {
        var overlaps = new List<string>();
        foreach (var group in log.Where(r => r.IsMutation).SelectMany(r => r.RecordIds.Select(id => (id, r))).GroupBy(x => x.id))
        {
            var ordered = group.Select(x => x.r).OrderBy(r => r.Time).ToList();
            var latestEnd = DateTimeOffset.MinValue;
            LoggedRequest? holder = null;
            foreach (var request in ordered)
            {
                if (holder is not null && request.Time < latestEnd)
                    overlaps.Add($"{group.Key}: {holder.Method} {holder.Time:O}+{holder.DurationMs:F0}ms overlaps {request.Method} {request.Time:O}");
                if (request.End > latestEnd) (latestEnd, holder) = (request.End, request);
            }
        }
        return overlaps;
    }

    /// <summary>
    /// Records every change of a row's lease holder (locked_by) with the lease it replaced, by database triggers, so a
    /// scenario can prove that no instance took a row whose lease was still live (two workers acting on it at once).
    /// Install before any row exists.
    /// </summary>
    public static async Task InstallLeaseAuditAsync(LocalStack stack)
    {
        await using var connection = new MySqlConnection(stack.ConnectionString);
        await connection.ExecuteAsync("""
            CREATE TABLE lease_audit (
                id         BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
                record_id  BIGINT      NOT NULL,
                old_holder VARCHAR(64) NULL,
                old_until  DATETIME(6) NULL,
                new_holder VARCHAR(64) NULL,
                at         DATETIME(6) NOT NULL
            );
            CREATE TRIGGER lease_audit_update AFTER UPDATE ON domain_dns_records FOR EACH ROW
                INSERT INTO lease_audit (record_id, old_holder, old_until, new_holder, at)
                SELECT NEW.id, OLD.locked_by, OLD.locked_until, NEW.locked_by, UTC_TIMESTAMP(6)
                FROM DUAL WHERE NOT (OLD.locked_by <=> NEW.locked_by);
            """);
    }

    public static async Task<LeaseAudit> ReadLeaseAuditAsync(LocalStack stack)
    {
        await using var connection = new MySqlConnection(stack.ConnectionString);
        var claims = (await connection.QueryAsync<(string Holder, string? OldHolder, bool Live)>("""
            SELECT new_holder, old_holder, COALESCE(old_until > at, 0)
            FROM lease_audit WHERE new_holder IS NOT NULL
            """)).ToList();
        return new LeaseAudit(
            claims.Count,
            claims.Count(c => c.OldHolder is not null && c.Live),
            claims.Count(c => c.OldHolder is not null && !c.Live),
            claims.GroupBy(c => c.Holder).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            claims.Where(c => c.OldHolder is not null && !c.Live).GroupBy(c => c.OldHolder!).OrderBy(g => g.Key, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Count()));
    }

    /// <summary>The instance id LocalStack gave a worker process ("worker-3" runs as "w3").</summary>
    public static string InstanceId(ManagedProcess worker) => "w" + worker.Name["worker-".Length..];

    private static string Str(JsonNode node, string name) => node[name]!.GetValue<string>();

    private static string Canonical(string type, string content) =>
        type == "AAAA" && IPAddress.TryParse(content, out var ip) ? ip.ToString() : content;
}
