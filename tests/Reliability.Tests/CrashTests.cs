using System.Diagnostics;
using DnsSync.Reliability.Tests.Support;
using DnsSync.Testing;

namespace DnsSync.Reliability.Tests;

/// <summary>Scenario 1: SIGKILL the worker at random moments while 500 records sync; restart it; 5 rounds.</summary>
public sealed class CrashTests
{
    private const int Records = 500;
    private const int Rounds = 5;

    [Test]
    public async Task Killed_worker_restarted_five_times_leaves_every_record_active_once_at_the_provider()
    {
        var seed = Scenario.Seed();
        TestContext.Progress.WriteLine($"[reliability] crash scenario seed {seed}");
        var random = new Random(seed);
        await using var stack = await LocalStack.StartAsync(new LocalStackOptions
        {
            LogDirectory = Scenario.LogDirectory("crash"),
            EmulatorArgs = Scenario.EmulatorArgs,
            WorkerEnvironment = Scenario.WorkerEnvironment(batchSize: 25),
        });
        // 15 ms per create stretches the sync over several seconds, so the kills land inside batches.
        await Scenario.AddFaultAsync(stack, new { method = "POST", pathPattern = "/dns_records$", kind = "Latency", latencyMs = 15 });
        await Scenario.InstallLeaseAuditAsync(stack);
        var total = Stopwatch.StartNew();

        var creating = Scenario.CreateAsync(stack.ApiClient, stack.Zones["example.com"].DomainId,
            Enumerable.Range(0, Records).Select(i => Scenario.Spec(i, "crash")).ToList());
        var kills = new List<object>();
        var killed = new List<(string Instance, long Held)>();
        for (var round = 1; round <= Rounds; round++)
        {
            var worker = stack.Workers[^1];
            var before = (await Scenario.RequestLogAsync(stack)).Count(r => r.IsMutation);
            var progress = random.Next(5, 40);
            // Kill only once this worker is mid-sync: it has sent `progress` more changes since the round began.
            await Scenario.EventuallyAsync(async () => (await Scenario.RequestLogAsync(stack)).Count(r => r.IsMutation) >= before + progress,
                TimeSpan.FromSeconds(60), $"round {round}: worker sends {progress} changes");
            await Task.Delay(random.Next(0, 200));
            worker.Kill();
            var instance = Scenario.InstanceId(worker);
            var held = await Scenario.CountAsync(stack, $"status = 'running' AND locked_by = '{instance}'");
            var active = await Scenario.CountAsync(stack, "status = 'active'");
            kills.Add(new { round, instance, afterChanges = progress, rowsRunningUnderTheKilledWorker = held, rowsActiveAtKill = active });
            killed.Add((instance, held));
            Assert.Multiple(() =>
            {
                Assert.That(worker.HasExited, Is.True);
                Assert.That(held, Is.Positive, $"round {round}: the kill landed while {instance} held rows mid-flight");
            });
            stack.StartWorker();
        }
        await creating;

        var converge = await Scenario.WaitForConvergenceAsync(stack, Records, TimeSpan.FromSeconds(90), () => stack.Workers[^1].LogTail());
        var check = await Scenario.CompareAsync(stack);
        var log = await Scenario.RequestLogAsync(stack);
        var audit = await Scenario.ReadLeaseAuditAsync(stack);
        var sentAgainBlind = Scenario.CreatesSentAgainWithoutLookup(log);
        var createsPerMarker = log.Where(r => r.IsCreate).GroupBy(r => r.Comment).Select(g => g.Count()).ToList();
        await ScenarioResults.WriteAsync("1-crash", stack.ConnectionString, new Dictionary<string, object?>
        {
            ["seed"] = seed,
            ["records"] = Records,
            ["killRounds"] = kills.Count,
            ["kills"] = kills,
            ["rowsActive"] = await Scenario.CountAsync(stack, "status = 'active'"),
            ["remoteRecords"] = check.RemoteRecords,
            ["duplicates"] = check.Duplicates,
            ["mismatches"] = check.Problems.Count,
            ["createRequests"] = log.Count(r => r.IsCreate),
            ["rowsCreatedMoreThanOnce"] = createsPerMarker.Count(c => c > 1),
            ["createsSentAgainWithoutLookup"] = sentAgainBlind.Count,
            ["lookupRequests"] = log.Count(r => r.Method == "GET"),
            ["deleteRequests"] = log.Count(r => r.Method == "DELETE"),
            ["expiredLeasesTakenOver"] = audit.TakeoversOfExpiredLeases,
            ["takeoversFromKilledWorkers"] = audit.TakeoversFromInstance,
            ["liveLeasesTakenOver"] = audit.ClaimsOfLiveLeases,
            ["secondsToConvergeAfterLastRestart"] = Math.Round(converge.TotalSeconds, 1),
            ["secondsTotal"] = Math.Round(total.Elapsed.TotalSeconds, 1),
        });

        Scenario.AssertMatches(check, Records);
        Assert.Multiple(() =>
        {
            Assert.That(audit.ClaimsOfLiveLeases, Is.Zero, "no row was taken from a live lease");
            Assert.That(sentAgainBlind, Is.Empty, "a create is sent again only after looking the record up:\n" + string.Join("\n", sentAgainBlind.Take(10)));
            Assert.That(createsPerMarker, Has.Count.EqualTo(Records), "every row was created by a POST carrying its marker");
            foreach (var (instance, held) in killed)
                Assert.That(audit.TakeoversFromInstance.GetValueOrDefault(instance), Is.EqualTo(held),
                    $"every row {instance} held at its kill was taken over once its lease expired");
        });
    }
}
