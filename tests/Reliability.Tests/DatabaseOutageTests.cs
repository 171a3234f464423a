using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using DnsSync.Reliability.Tests.Support;
using DnsSync.Testing;

namespace DnsSync.Reliability.Tests;

/// <summary>Scenario 4: the database is killed mid-sync and restarted; api and worker keep running throughout.</summary>
public sealed class DatabaseOutageTests
{
    private const int RecordsBefore = 200;
    private const int RecordsAfter = 50;
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(5);

    [Test]
    public async Task Api_answers_503_while_the_database_is_down_and_both_programs_recover_without_restart()
    {
        // Its own server: this scenario kills it.
        await using var server = await LocalMySqlServer.StartAsync();
        await using var stack = await LocalStack.StartAsync(new LocalStackOptions
        {
            LogDirectory = Scenario.LogDirectory("database-outage"),
            EmulatorArgs = Scenario.EmulatorArgs,
            WorkerEnvironment = Scenario.WorkerEnvironment(batchSize: 25),
            ServerConnectionString = server.ConnectionString,
        });
        // 20 ms per create: the outage begins while the worker is in the middle of the 200 creates.
        await Scenario.AddFaultAsync(stack, new { method = "POST", pathPattern = "/dns_records$", kind = "Latency", latencyMs = 20 });
        var domainId = stack.Zones["example.com"].DomainId;
        var worker = stack.Workers[0];
        var workerPid = worker.Pid;
        var apiPid = stack.Api.Pid;

        var before = await Scenario.CreateAsync(stack.ApiClient, domainId,
            Enumerable.Range(0, RecordsBefore).Select(i => Scenario.Spec(i, "before")).ToList());
        await Scenario.EventuallyAsync(async () => await Scenario.CountAsync(stack, "status = 'active'") >= 20,
            TimeSpan.FromSeconds(30), "the worker is syncing");
        var activeAtOutage = await Scenario.CountAsync(stack, "status = 'active'");

        server.Kill();
        var down = Stopwatch.StartNew();
        var replies = new Dictionary<string, List<int>>();
        var notEnvelope = new List<string>();
        using var anonymous = new HttpClient { BaseAddress = stack.ApiUrl, Timeout = TimeSpan.FromSeconds(15) };
        while (down.Elapsed < Outage)
        {
            await ProbeAsync("GET records", () => stack.ApiClient.GetAsync("api/v1/dns/records?page=1&pageSize=5"));
            await ProbeAsync("GET record", () => stack.ApiClient.GetAsync($"api/v1/dns/records/{before[0]}"));
            await ProbeAsync("POST create", () => stack.ApiClient.PostAsJsonAsync("api/v1/dns/records/create", new
            {
                domainId, type = "A", name = "during-outage", value = "192.0.2.99", ttl = 300, ownerType = Scenario.OwnerType, ownerId = 1,
            }));
            await ProbeAsync("GET health/ready", () => anonymous.GetAsync("health/ready"));
            await ProbeAsync("GET health/live", () => anonymous.GetAsync("health/live"));
        }

        var outageSeconds = down.Elapsed.TotalSeconds;
        await server.StartProcessAsync();
        var up = Stopwatch.StartNew();
        await Scenario.EventuallyAsync(async () =>
        {
            using var response = await stack.ApiClient.GetAsync("api/v1/dns/records?page=1&pageSize=5");
            return response.IsSuccessStatusCode;
        }, TimeSpan.FromSeconds(30), "the api answers from the database again");
        var apiRecovery = up.Elapsed;
        using (var ready = await anonymous.GetAsync("health/ready"))
            Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK), "ready again");
        await Scenario.CreateAsync(stack.ApiClient, domainId, Enumerable.Range(0, RecordsAfter).Select(i => Scenario.Spec(i, "after")).ToList());

        var expected = RecordsBefore + RecordsAfter;
        var converge = await Scenario.WaitForConvergenceAsync(stack, expected, TimeSpan.FromSeconds(60), () => worker.LogTail());
        var check = await Scenario.CompareAsync(stack);
        var beforeStillThere = await Scenario.CountAsync(stack, $"id IN ({string.Join(',', before)}) AND status = 'active'");
        await ScenarioResults.WriteAsync("4-database-outage", stack.ConnectionString, new Dictionary<string, object?>
        {
            ["recordsBeforeOutage"] = RecordsBefore,
            ["rowsActiveWhenKilled"] = activeAtOutage,
            ["outageSeconds"] = Math.Round(outageSeconds, 1),
            ["secondsFromKillToApiAnswering"] = Math.Round(outageSeconds + apiRecovery.TotalSeconds, 1),
            ["repliesDuringOutage"] = replies.ToDictionary(r => r.Key, r => r.Value.GroupBy(s => s).ToDictionary(g => g.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), g => g.Count())),
            ["repliesNotInEnvelope"] = notEnvelope.Count,
            ["secondsUntilApiAnsweredAfterRestart"] = Math.Round(apiRecovery.TotalSeconds, 2),
            ["recordsCreatedAfterRecovery"] = RecordsAfter,
            ["recordsBeforeOutageActiveAtEnd"] = beforeStillThere,
            ["rowsActive"] = await Scenario.CountAsync(stack, "status = 'active'"),
            ["remoteRecords"] = check.RemoteRecords,
            ["duplicates"] = check.Duplicates,
            ["mismatches"] = check.Problems.Count,
            ["workerRestarted"] = worker.HasExited || worker.Pid != workerPid,
            ["apiRestarted"] = stack.Api.HasExited || stack.Api.Pid != apiPid,
            ["secondsToConvergeAfterRecovery"] = Math.Round(converge.TotalSeconds, 1),
        });

        Scenario.AssertMatches(check, expected);
        Assert.Multiple(() =>
        {
            Assert.That(notEnvelope, Is.Empty, string.Join("\n", notEnvelope.Take(5)));
            foreach (var route in new[] { "GET records", "GET record", "POST create", "GET health/ready" })
                Assert.That(replies[route], Is.All.EqualTo(503), $"{route} while the database is down");
            Assert.That(replies["GET health/live"], Is.All.EqualTo(200), "live while the database is down");
            Assert.That(beforeStillThere, Is.EqualTo(RecordsBefore), "no intent written before the outage was lost");
            Assert.That(worker.HasExited, Is.False, "the worker survived the outage");
            Assert.That(stack.Api.HasExited, Is.False, "the api survived the outage");
        });

        async Task ProbeAsync(string route, Func<Task<HttpResponseMessage>> send)
        {
            using var response = await send();
            var status = (int)response.StatusCode;
            (replies.TryGetValue(route, out var list) ? list : replies[route] = []).Add(status);
            var body = await response.Content.ReadAsStringAsync();
            var envelope = JsonNode.Parse(body) as JsonObject;
            var expectedCode = response.IsSuccessStatusCode ? 0 : status;
            if (envelope?["code"]?.GetValue<int>() != expectedCode || envelope["message"] is null || !envelope.ContainsKey("data"))
                notEnvelope.Add($"{route} → {status}: {body}");
        }
    }
}
