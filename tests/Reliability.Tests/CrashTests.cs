using System.Diagnostics;
using DnsSync.Reliability.Tests.Support;
using DnsSync.Testing;

namespace DnsSync.Reliability.Tests;

/// <summary>
/// Scenario 1: SIGKILL the worker while 500 records sync in zone batches of at most 10; restart it; 5 rounds. Each
/// kill lands inside a pass: at a random moment, or at one of the two moments a batch of creates can be lost — sent
/// but not yet applied, or applied with the answer not yet received (the emulator holds that one batch until the kill).
/// </summary>
public sealed class CrashTests
{
    private const int Records = 500;
    private const int Rounds = 5;
    private const int BatchLimit = 10;
    private const int HoldMs = 10_000;
    private const string BatchPath = "^/zones/[^/]+/dns_records/batch$";

    private enum KillMoment
    {
        Random,
        BatchSentNotApplied,
        BatchAppliedAnswerNotReceived,
    }

    private static readonly KillMoment[] Moments =
        [KillMoment.BatchSentNotApplied, KillMoment.BatchAppliedAnswerNotReceived, KillMoment.Random];

    [Test]
    public async Task Killed_worker_restarted_five_times_leaves_every_record_active_once_at_the_provider()
    {
        var seed = Scenario.Seed();
        TestContext.Progress.WriteLine($"[reliability] crash scenario seed {seed}");
        var random = new Random(seed);
        var environment = Scenario.WorkerEnvironment(batchSize: 25, retryBaseSec: 1, retryMaxSec: 8);
        environment["Cloudflare__BatchLimit"] = BatchLimit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await using var stack = await LocalStack.StartAsync(new LocalStackOptions
        {
            LogDirectory = Scenario.LogDirectory("crash"),
            EmulatorArgs = Scenario.EmulatorArgs,
            WorkerEnvironment = environment,
        });
        await AddCreateLatencyAsync(stack);
        await Scenario.InstallLeaseAuditAsync(stack);
        var total = Stopwatch.StartNew();

        var creating = Scenario.CreateAsync(stack.ApiClient, stack.Zones["example.com"].DomainId,
            Enumerable.Range(0, Records).Select(i => Scenario.Spec(i, "crash")).ToList());
        var kills = new List<object>();
        var killed = new List<(string Instance, long Held)>();
        var held = new List<(KillMoment Moment, LoggedRequest Batch)>();
        for (var round = 1; round <= Rounds; round++)
        {
            var worker = stack.Workers[^1];
            var moment = Moments[(round - 1) % Moments.Length];
            var roundStart = DateTimeOffset.UtcNow;
            var before = CreatesSent(await Scenario.RequestLogAsync(stack));
            var progress = random.Next(5, 40);
            // Kill only once this worker is mid-sync: it has sent `progress` more creates since the round began.
            await Scenario.EventuallyAsync(async () => CreatesSent(await Scenario.RequestLogAsync(stack)) >= before + progress,
                TimeSpan.FromSeconds(60), $"round {round}: worker sends {progress} creates");
            if (moment == KillMoment.Random)
                await Task.Delay(random.Next(0, 200));
            else
                await HoldTheNextBatchAsync(stack, moment, round);
            worker.Kill();
            var instance = Scenario.InstanceId(worker);
            var running = await Scenario.CountAsync(stack, $"status = 'running' AND locked_by = '{instance}'");
            var active = await Scenario.CountAsync(stack, "status = 'active'");
            LoggedRequest? heldBatch = null;
            if (moment != KillMoment.Random)
            {
                heldBatch = await HeldBatchAsync(stack, moment, roundStart, round);
                held.Add((moment, heldBatch));
            }
            kills.Add(new
            {
                round, instance, moment = moment.ToString(), afterCreates = progress, rowsRunningUnderTheKilledWorker = running,
                rowsActiveAtKill = active, heldBatchPosts = heldBatch?.Creates.Count,
            });
            killed.Add((instance, running));
            Assert.Multiple(() =>
            {
                Assert.That(worker.HasExited, Is.True);
                Assert.That(running, Is.Positive, $"round {round}: the kill landed while {instance} held rows mid-flight");
            });
            stack.StartWorker();
        }
        await creating;

        var converge = await Scenario.WaitForConvergenceAsync(stack, Records, TimeSpan.FromSeconds(90), () => stack.Workers[^1].LogTail());
        var check = await Scenario.CompareAsync(stack);
        var log = await Scenario.RequestLogAsync(stack);
        var audit = await Scenario.ReadLeaseAuditAsync(stack);
        var sentAgainBlind = Scenario.CreatesSentAgainWithoutLookup(log);
        var appliedSentAgain = Scenario.AppliedCreatesSentAgain(log);
        var createsPerMarker = Scenario.MarkedCreates(log).ToDictionary(m => m[0].Post.Comment!, m => m.Count);
        var heldUnapplied = Markers(held, KillMoment.BatchSentNotApplied);
        var heldApplied = Markers(held, KillMoment.BatchAppliedAnswerNotReceived);
        await ScenarioResults.WriteAsync("1-crash", stack.ConnectionString, new Dictionary<string, object?>
        {
            ["seed"] = seed,
            ["records"] = Records,
            ["batchLimit"] = BatchLimit,
            ["killRounds"] = kills.Count,
            ["kills"] = kills,
            ["rowsActive"] = await Scenario.CountAsync(stack, "status = 'active'"),
            ["remoteRecords"] = check.RemoteRecords,
            ["duplicates"] = check.Duplicates,
            ["mismatches"] = check.Problems.Count,
            ["batchRequests"] = log.Count(r => r.IsBatch),
            ["singleCreateRequests"] = log.Count(r => r.IsCreate),
            ["createsSent"] = CreatesSent(log),
            ["rowsCreatedMoreThanOnce"] = createsPerMarker.Values.Count(c => c > 1),
            ["rowsInHeldUnappliedBatches"] = heldUnapplied.Count,
            ["rowsInHeldAppliedBatches"] = heldApplied.Count,
            ["createsSentAgainWithoutLookup"] = sentAgainBlind.Count,
            ["appliedCreatesSentAgain"] = appliedSentAgain.Count,
            ["zoneListings"] = log.Count(r => r.IsZoneListing),
            ["lookupsByName"] = log.Count(r => r.LookupName is not null),
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
            Assert.That(appliedSentAgain, Is.Empty, "a create that was applied is found again, never sent again:\n" + string.Join("\n", appliedSentAgain.Take(10)));
            Assert.That(createsPerMarker, Has.Count.EqualTo(Records), "every row was created by a create carrying its marker");
            Assert.That(createsPerMarker.Values, Is.All.LessThanOrEqualTo(2), "no row's create was sent more than twice");
            // A batch held unapplied at the kill must be sent again (after a look); one applied with its answer lost
            // must be found, not sent again.
            Assert.That(heldUnapplied.Select(m => createsPerMarker.GetValueOrDefault(m)), Is.All.EqualTo(2),
                "every create of a batch held unapplied at a kill was sent once more");
            Assert.That(heldApplied.Select(m => createsPerMarker.GetValueOrDefault(m)), Is.All.EqualTo(1),
                "every create of a batch applied with its answer held at a kill was found again, not sent again");
            Assert.That(held.Select(h => h.Batch.Creates.Count), Is.All.GreaterThanOrEqualTo(2), "each held request was a batch of creates");
            foreach (var (instance, running) in killed)
                Assert.That(audit.TakeoversFromInstance.GetValueOrDefault(instance), Is.EqualTo(running),
                    $"every row {instance} held at its kill was taken over once its lease expired");
        });
    }

    private static int CreatesSent(IEnumerable<LoggedRequest> log) => log.Sum(r => r.Creates.Count);

    private static List<string> Markers(IEnumerable<(KillMoment Moment, LoggedRequest Batch)> held, KillMoment moment) =>
        held.Where(h => h.Moment == moment).SelectMany(h => h.Batch.Creates).Select(p => p.Comment!).ToList();

    /// <summary>
    /// Holds the worker's next batch at the emulator, before or after applying it, and returns once the worker is
    /// inside it (and, for an applied batch, once its records exist): the kill then lands exactly there. The first
    /// matching rule wins, so the one-shot rule goes before the usual latency.
    /// </summary>
    private static async Task HoldTheNextBatchAsync(LocalStack stack, KillMoment moment, int round)
    {
        await Scenario.ClearFaultsAsync(stack);
        var since = DateTimeOffset.UtcNow;
        var kind = moment == KillMoment.BatchSentNotApplied ? "Hang" : "ApplyThenHang";
        await Scenario.AddFaultAsync(stack, new { method = "POST", pathPattern = BatchPath, kind, hangMs = HoldMs, count = 1 });
        await AddCreateLatencyAsync(stack);
        // A spent one-shot rule disappears from the list; the worker (one zone, one request at a time) is then in that batch.
        await Scenario.EventuallyAsync(async () => (await Scenario.FaultsAsync(stack)).Count == 1,
            TimeSpan.FromSeconds(30), $"round {round}: a batch is held ({moment})");
        if (moment == KillMoment.BatchAppliedAnswerNotReceived)
            // The one-shot rule matches the very next batch, so records created since it was added are the held batch's.
            await Scenario.EventuallyAsync(async () => (await stack.RemoteRecordsAsync()).Any(r => r!["created_on"]!.GetValue<DateTimeOffset>() >= since),
                TimeSpan.FromSeconds(5), $"round {round}: the held batch is applied");
    }

    /// <summary>The held batch as the emulator logged it once the kill ended it.</summary>
    private static async Task<LoggedRequest> HeldBatchAsync(LocalStack stack, KillMoment moment, DateTimeOffset roundStart, int round)
    {
        var fault = moment == KillMoment.BatchSentNotApplied ? "Hang" : "ApplyThenHang";
        LoggedRequest? batch = null;
        await Scenario.EventuallyAsync(async () =>
            {
                batch = (await Scenario.RequestLogAsync(stack)).LastOrDefault(r => r.IsBatch && r.Fault == fault && r.Time >= roundStart);
                return batch is not null;
            },
            TimeSpan.FromSeconds(15), $"round {round}: the emulator logs the held batch");
        return batch!;
    }

    /// <summary>150 ms per create request stretches the sync over several seconds, so the kills land inside passes.</summary>
    private static Task AddCreateLatencyAsync(LocalStack stack) =>
        Scenario.AddFaultAsync(stack, new { method = "POST", pathPattern = "/dns_records(/batch)?$", kind = "Latency", latencyMs = 150 });
}
