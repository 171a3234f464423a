using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using DnsSync.Benchmarks.Harness;
using DnsSync.Testing;
using static DnsSync.Benchmarks.Harness.ResultWriter;

namespace DnsSync.Benchmarks.Scenarios;

/// <summary>Scenario 9's numbers.</summary>
/// <param name="Records">Active records in the zone.</param>
/// <param name="AuditRequests">Provider requests the audit reported (listing pages).</param>
/// <param name="ListRequests">Zone listings the emulator logged during the audit.</param>
/// <param name="AuditSeconds">From the api's POST to the audit's outcome being readable (the worker polls every second).</param>
/// <param name="AuditWorkerMs">The audit's own duration as the worker measured it (listing, classifying, writing).</param>
/// <param name="InSync">Records the audit found in sync (all of them: a check of the audit, not a measure).</param>
/// <param name="HandEdits">Records changed by hand at the emulator before the second audit.</param>
/// <param name="RepairSeconds">From the last hand edit (the second audit asked for at once) to every edited record holding its declared content again.</param>
/// <param name="RepairAuditSeconds">Of that, until the second audit's outcome was readable (the rows sent back for repair).</param>
/// <param name="RepairRequests">Provider requests from the second audit's start until all were repaired.</param>
internal sealed record AuditResult(
    int Records, int AuditRequests, int ListRequests, double AuditSeconds, long AuditWorkerMs, int InSync,
    int HandEdits, int Repaired, double RepairSeconds, double RepairAuditSeconds, long RepairRequests, IReadOnlyDictionary<string, long> RepairRequestsByKind,
    double WorkerPeakRssMiB)
{
    /// <summary>⌈records / 5,000⌉: what a listing at Cloudflare's largest page costs.</summary>
    public int ExpectedRequests => (Records + 4_999) / 5_000;
}

/// <summary>
/// Scenario 9 (issue 13): a zone of 10,000 active records audited on demand (requests and wall time), then 100 of them
/// changed by hand at the provider and audited again, timed until every one is repaired. Cloudflare's real limits
/// (1,200 requests per 300 s, 200 changes per batch); one worker with scheduled audits far apart so only the requested
/// ones run.
/// </summary>
internal static class AuditScenario
{
    private const string Prefix = "au-";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    public static async Task<AuditResult> RunAsync(BenchSettings settings, string logDirectory, CancellationToken cancellationToken)
    {
        var n = settings.AuditRecords;
        var (stack, domainIds) = await WorkerRuns.StartStackAsync(Path.Combine(logDirectory, "audit"), 1, WorkerRuns.RealLimit, cancellationToken);
        await using (stack)
        {
            var domainId = domainIds[0];
            Console.WriteLine($"[audit] set-up: {n} records made active");
            await WorkerRuns.CreateAsync(stack, domainIds, n, Prefix, cancellationToken);
            var worker = stack.StartWorker(new Dictionary<string, string?> { ["DnsWorker__BatchSize"] = "5000", ["DnsWorker__AuditIntervalSec"] = "86400" });
            if (!await WorkerRuns.WaitUntilSyncedAsync(stack.ConnectionString, Prefix, n, settings.WorkerRunTimeout, cancellationToken))
                throw new InvalidOperationException("audit set-up: the records did not become active");

            var logBefore = (await StackOps.ProviderLogAsync(stack, cancellationToken)).Count;
            var clock = Stopwatch.StartNew();
            var audit = await AuditNowAsync(stack, domainId, cancellationToken);
            var auditSeconds = clock.Elapsed.TotalSeconds;
            var lists = (await StackOps.ProviderLogAsync(stack, cancellationToken)).Skip(logBefore).Count(r => ProviderRequests.Kind(r.Method, r.Path) == "list");
            Console.WriteLine($"[audit] {n} records: {audit["requests"]} requests, {auditSeconds:F2} s");

            var edited = await HandEditAsync(stack, settings.AuditHandEdits, cancellationToken);
            logBefore = (await StackOps.ProviderLogAsync(stack, cancellationToken)).Count;
            clock.Restart();
            await AuditNowAsync(stack, domainId, cancellationToken);
            var repairAuditSeconds = clock.Elapsed.TotalSeconds;
            var repaired = await WaitUntilRepairedAsync(stack, edited, cancellationToken);
            var repairSeconds = clock.Elapsed.TotalSeconds;
            var repairLog = ProviderRequests.Count((await StackOps.ProviderLogAsync(stack, cancellationToken)).Skip(logBefore));
            Console.WriteLine($"[audit] {repaired} of {edited.Count} hand edits repaired {repairSeconds:F2} s after the edits; {repairLog.Total} requests");

            return new AuditResult(n, audit["requests"]!.GetValue<int>(), lists, Math.Round(auditSeconds, 2), audit["durationMs"]!.GetValue<long>(),
                audit["counts"]!["inSync"]!.GetValue<int>(), edited.Count, repaired, Math.Round(repairSeconds, 2), Math.Round(repairAuditSeconds, 2),
                repairLog.Total, repairLog.ByKind, StackOps.MiB(worker.PeakRssBytes()));
        }
    }

    /// <summary>POST /domains/{id}/audit, then GET it until an audit newer than the request has finished; returns its data.</summary>
    private static async Task<JsonNode> AuditNowAsync(LocalStack stack, long domainId, CancellationToken cancellationToken)
    {
        var before = await GetAuditAsync(stack, domainId, cancellationToken);
        var previous = before["finishedAt"]?.GetValue<DateTime>();
        using (var response = await stack.ApiClient.PostAsJsonAsync($"api/v1/domains/{domainId}/audit", new { }, cancellationToken))
            if ((int)response.StatusCode != 202) throw new InvalidOperationException($"POST audit → {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < Timeout)
        {
            var audit = await GetAuditAsync(stack, domainId, cancellationToken);
            if (audit["finishedAt"]?.GetValue<DateTime>() is { } finished && finished != previous && audit["requestedAt"] is null)
            {
                if (audit["outcome"]!.GetValue<string>() != "applied") throw new InvalidOperationException($"audit ended {audit["outcome"]}: {audit["summary"]}");
                return audit;
            }
            await Task.Delay(20, cancellationToken);
        }
        throw new TimeoutException($"no audit of domain {domainId} finished within {Timeout}");
    }

    private static async Task<JsonNode> GetAuditAsync(LocalStack stack, long domainId, CancellationToken cancellationToken) =>
        JsonNode.Parse(await stack.ApiClient.GetStringAsync($"api/v1/domains/{domainId}/audit?pageSize=1", cancellationToken))!["data"]!;

    /// <summary>Changes the content of <paramref name="count"/> records at the emulator directly, as a person would in the dashboard; returns id → declared content.</summary>
    private static async Task<Dictionary<string, string>> HandEditAsync(LocalStack stack, int count, CancellationToken cancellationToken)
    {
        var records = (await stack.RemoteRecordsAsync(cancellationToken: cancellationToken)).Take(count)
            .Select(r => (Id: r!["id"]!.GetValue<string>(), Content: r["content"]!.GetValue<string>())).ToList();
        var zoneId = stack.Zones.Values.Single().ZoneId;
        using var http = new HttpClient { BaseAddress = stack.EmulatorUrl };
        http.DefaultRequestHeaders.Authorization = new("Bearer", LocalStack.CloudflareToken);
        for (var i = 0; i < records.Count; i++)
        {
            using var response = await http.PatchAsJsonAsync($"zones/{zoneId}/dns_records/{records[i].Id}", new { content = StackOps.Address(9_000_000 + i) }, cancellationToken);
            response.EnsureSuccessStatusCode();
        }
        return records.ToDictionary(r => r.Id, r => r.Content);
    }

    /// <summary>Polls the emulator until every edited record holds its declared content again; returns how many do.</summary>
    private static async Task<int> WaitUntilRepairedAsync(LocalStack stack, IReadOnlyDictionary<string, string> declared, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        var repaired = 0;
        while (deadline.Elapsed < Timeout)
        {
            repaired = (await stack.RemoteRecordsAsync(cancellationToken: cancellationToken))
                .Count(r => declared.TryGetValue(r!["id"]!.GetValue<string>(), out var content) && r["content"]!.GetValue<string>() == content);
            if (repaired == declared.Count) return repaired;
            await Task.Delay(20, cancellationToken);
        }
        return repaired;
    }

    public static void Render(AuditResult a, Action<string> line)
    {
        line("### 9. Drift audit (issue 13)");
        line("");
        line($"One zone of {a.Records:N0} active A records (made active through the api and a worker beforehand), Cloudflare's real limits, one worker "
             + "polling every second. An audit asked for through `POST /api/v1/domains/{id}/audit`, timed from the request until its outcome was readable; then "
             + $"{a.HandEdits} records' content changed by hand at the emulator and a second audit asked for, timed until all were repaired.");
        line("");
        line("| measure | value |");
        line("|---|---|");
        line($"| audit: provider requests (audit's count / listings in the emulator's log) | {a.AuditRequests} / {a.ListRequests} (⌈{a.Records:N0} / 5,000⌉ = {a.ExpectedRequests}) |");
        line($"| audit: request → outcome readable | {F(a.AuditSeconds, 2)} s |");
        line($"| audit: duration in the worker (listing, classifying, writing) | {a.AuditWorkerMs:N0} ms |");
        line($"| audit: records found in sync | {a.InSync:N0} of {a.Records:N0} |");
        line($"| {a.HandEdits} hand edits: second audit requested → all repaired | {F(a.RepairSeconds, 2)} s (of which the audit {F(a.RepairAuditSeconds, 2)} s) |");
        line($"| {a.HandEdits} hand edits: provider requests for audit and repair | {a.RepairRequests} ({string.Join(", ", a.RepairRequestsByKind.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}"))}) |");
        line($"| worker peak RSS | {F(a.WorkerPeakRssMiB, 0)} MiB |");
        line("");
    }
}
