using System.Diagnostics;
using DnsSync.Reliability.Tests.Support;
using DnsSync.Testing;

namespace DnsSync.Reliability.Tests;

/// <summary>
/// Scenario 1: SIGKILL the worker while 500 records sync; restart it; 5 rounds. Each kill lands inside a batch: at a
/// random moment, or at one of the two moments a create can be lost — sent but not yet applied, or applied with the
/// answer not yet received (the emulator holds that one create until the kill).
/// </summary>
public sealed class CrashTests
{
    private const int Records = 500;
    private const int Rounds = 5;
    private const int HoldMs = 10_000;

    private enum KillMoment
    {
        Random,
        CreateSentNotApplied,
        CreateAppliedAnswerNotReceived,
    }

    private static readonly KillMoment[] Moments =
        [KillMoment.CreateSentNotApplied, KillMoment.CreateAppliedAnswerNotReceived, KillMoment.Random];

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
        await AddCreateLatencyAsync(stack);
        await Scenario.InstallLeaseAuditAsync(stack);
        var total = Stopwatch.StartNew();

        var creating = Scenario.CreateAsync(stack.ApiClient, stack.Zones["example.com"].DomainId,
            Enumerable.Range(0, Records).Select(i => Scenario.Spec(i, "crash")).ToList());
        var kills = new List<object>();
        var killed = new List<(string Instance, long Held)>();
        for (var round = 1; round <= Rounds; round++)
        {
            var worker = stack.Workers[^1];
            var moment = Moments[(round - 1) % Moments.Length];
            var before = (await Scenario.RequestLogAsync(stack)).Count(r => r.IsMutation);
            var progress = random.Next(5, 40);
            // Kill only once this worker is mid-sync: it has sent `progress` more changes since the round began.
            await Scenario.EventuallyAsync(async () => (await Scenario.RequestLogAsync(stack)).Count(r => r.IsMutation) >= before + progress,
                TimeSpan.FromSeconds(60), $"round {round}: worker sends {progress} changes");
            if (moment == KillMoment.Random)
                await Task.Delay(random.Next(0, 200));
            else
                await HoldTheNextCreateAsync(stack, moment, round);
            worker.Kill();
            var instance = Scenario.InstanceId(worker);
            var held = await Scenario.CountAsync(stack, $"status = 'running' AND locked_by = '{instance}'");
            var active = await Scenario.CountAsync(stack, "status = 'active'");
            kills.Add(new { round, instance, moment = moment.ToString(), afterChanges = progress, rowsRunningUnderTheKilledWorker = held, rowsActiveAtKill = active });
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
        var rounds = Enumerable.Range(0, Rounds).Select(i => Moments[i % Moments.Length]).ToList();
        var unapplied = rounds.Count(m => m == KillMoment.CreateSentNotApplied);
        var randomKills = rounds.Count(m => m == KillMoment.Random);
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
            // A create held unapplied at the kill must be sent again (after a lookup); one applied with its answer
            // lost must be found, not sent again; a random kill may hit a create in flight. Nothing else repeats one.
            Assert.That(createsPerMarker, Is.All.LessThanOrEqualTo(2), "no row's create was sent more than twice");
            Assert.That(createsPerMarker.Count(c => c == 2), Is.InRange(unapplied, unapplied + randomKills),
                $"creates sent again: one per kill of an unapplied create ({unapplied}), at most one per random kill ({randomKills})");
            foreach (var (instance, held) in killed)
                Assert.That(audit.TakeoversFromInstance.GetValueOrDefault(instance), Is.EqualTo(held),
                    $"every row {instance} held at its kill was taken over once its lease expired");
        });
    }

    /// <summary>
    /// Holds the worker's next create at the emulator, before or after applying it, and returns once the worker is
    /// inside it (and, for an applied create, once the record exists): the kill then lands exactly there. The first
    /// matching rule wins, so the one-shot rule goes before the usual latency.
    /// </summary>
    private static async Task HoldTheNextCreateAsync(LocalStack stack, KillMoment moment, int round)
    {
        await Scenario.ClearFaultsAsync(stack);
        var since = DateTimeOffset.UtcNow;
        var kind = moment == KillMoment.CreateSentNotApplied ? "Latency" : "ApplyThenHang";
        await Scenario.AddFaultAsync(stack, new { method = "POST", pathPattern = "/dns_records$", kind, latencyMs = HoldMs, hangMs = HoldMs, count = 1 });
        await AddCreateLatencyAsync(stack);
        // A spent one-shot rule disappears from the list; the worker (one zone, one row at a time) is then in that create.
        await Scenario.EventuallyAsync(async () => (await Scenario.FaultsAsync(stack)).Count == 1,
            TimeSpan.FromSeconds(30), $"round {round}: a create is held ({moment})");
        if (moment == KillMoment.CreateAppliedAnswerNotReceived)
            // The one-shot rule matches the very next create, so a record created since it was added is the held one.
            await Scenario.EventuallyAsync(async () => (await stack.RemoteRecordsAsync()).Any(r => r!["created_on"]!.GetValue<DateTimeOffset>() >= since),
                TimeSpan.FromSeconds(5), $"round {round}: the held create is applied");
    }

    /// <summary>15 ms per create stretches the sync over several seconds, so the kills land inside batches.</summary>
    private static Task AddCreateLatencyAsync(LocalStack stack) =>
        Scenario.AddFaultAsync(stack, new { method = "POST", pathPattern = "/dns_records$", kind = "Latency", latencyMs = 15 });
}
