using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using DnsSync.Reliability.Tests.Support;
using DnsSync.Testing;

namespace DnsSync.Reliability.Tests;

/// <summary>
/// Liveness of a refused batch: rows whose records already exist at the provider, made by hand with the same type,
/// name and content, are refused as identical (81058) in their batch, which is then split in halves until each post
/// stands alone, and each row adopts its record. That split costs 2n − 1 requests in one lease; when it outlasts the
/// lease, every row of the zone must still make progress on a later pass.
/// </summary>
public sealed class PreexistingRecordTests
{
    private const int Records = 16;

    private static Dictionary<string, string?> Environment()
    {
        var environment = Scenario.WorkerEnvironment(batchSize: Records, retryBaseSec: 1, retryMaxSec: 8);
        environment["Cloudflare__TimeoutSec"] = "5";
        environment["DnsWorker__LeaseSec"] = "15";
        return environment;
    }

    /// <summary>
    /// Times are scaled down (lease 15 s, provider timeout 5 s, so calls may start until 7 s before the lease ends):
    /// 600 ms per batch request makes the 31 requests of the split take about 20 s, far past the 8 s the lease leaves,
    /// while no request comes near the timeout. In production the same happens with the defaults (lease 120 s,
    /// timeout 10 s) once 2n − 1 batch requests take over 108 s: 100 rows at about 0.55 s per request, or fewer with
    /// a larger DnsWorker__BatchSize.
    /// </summary>
    [Test]
    public async Task Rows_whose_identical_records_exist_already_are_adopted_even_when_splitting_their_refused_batch_outlasts_the_lease()
    {
        await using var stack = await LocalStack.StartAsync(new LocalStackOptions
        {
            LogDirectory = Scenario.LogDirectory("preexisting"),
            EmulatorArgs = Scenario.EmulatorArgs,
            WorkerEnvironment = Environment(),
            Workers = 0,
        });
        var zone = stack.Zones["example.com"];
        var specs = Enumerable.Range(0, Records).Select(i => Scenario.Spec(i, "byhand")).ToList();
        using var cloudflare = new HttpClient { BaseAddress = stack.EmulatorUrl };
        cloudflare.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", LocalStack.CloudflareToken);
        var madeByHand = new List<string>();
        foreach (var s in specs)
        {
            using var response = await cloudflare.PostAsJsonAsync($"zones/{zone.ZoneId}/dns_records",
                new { type = s.Type, name = s.Name, content = s.Value, ttl = s.Ttl, proxied = s.Proxied });
            madeByHand.Add((await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonObject>())!["result"]!["id"]!.GetValue<string>());
        }
        await Scenario.AddFaultAsync(stack, new { method = "POST", pathPattern = "^/zones/[^/]+/dns_records/batch$", kind = "Latency", latencyMs = 600 });
        await Scenario.CreateAsync(stack.ApiClient, zone.DomainId, specs);
        stack.StartWorker();

        var converged = await Scenario.ConvergedWithinAsync(stack, Records, TimeSpan.FromSeconds(45));
        var log = await Scenario.RequestLogAsync(stack);
        var check = await Scenario.CompareAsync(stack);
        await ScenarioResults.WriteAsync("preexisting-records", stack.ConnectionString, new Dictionary<string, object?>
        {
            ["records"] = Records,
            ["converged"] = converged,
            ["rowsActive"] = await Scenario.CountAsync(stack, "status = 'active'"),
            ["batchRequests"] = log.Count(r => r.IsBatch),
            ["batchesRefused"] = log.Count(r => r.IsBatch && r.Status == 400),
            ["lookupsByName"] = log.Count(r => r.LookupName is not null),
            ["rowsReleasedByTheWorker"] = File.ReadAllText(stack.Workers[0].LogPath).Split(" released (").Length - 1,
        });

        Assert.That(converged, Is.True,
            $"every row adopted its record within 45 s; {await Scenario.CountAsync(stack, "status = 'active'")} of {Records} active after "
            + $"{log.Count(r => r.IsBatch)} batch requests, {log.Count(r => r.LookupName is not null)} lookups\n{stack.Workers[0].LogTail(15)}");
        Scenario.AssertMatches(check, Records);
        Assert.That(await Scenario.CountAsync(stack, $"provider_record_id IN ('{string.Join("','", madeByHand)}')"), Is.EqualTo(Records),
            "each row adopted the record made by hand");
    }
}
