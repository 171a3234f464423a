using System.Diagnostics;
using System.Globalization;
using Dapper;
using DnsSync.Reliability.Tests.Support;
using DnsSync.Testing;
using MySqlConnector;

namespace DnsSync.Reliability.Tests;

/// <summary>
/// Scenario 19: three worker processes share one API token (and so one request budget) over four zones; 320 records
/// are created, then 100 updated and 60 deleted while the creates are still syncing, in batches of at most 8 changes.
/// The batch endpoint answers 10% of batches 500 after applying them, drops the connection after applying 10% and
/// answers 8% with a 429 (Retry-After 1 s); the emulator enforces a real rate limit equal to the workers' budget.
/// Everything converges under the faults with no stale duplicate, no orphan and no row stuck; no worker sends inside
/// any 429's Retry-After window; the three together never exceed the budget in any sliding window.
/// </summary>
public sealed class BatchFaultTests
{
    private const int Records = 320;
    private const int Updates = 100;
    private const int Deletes = 60;
    private const int BatchSize = 40;
    private const int BatchLimit = 8;
    private const int RequestsPerWindow = 30;
    private const int WindowSec = 5;
    private const int RetryAfterSeconds = 1;
    private const string BatchPath = "^/zones/[^/]+/dns_records/batch$";
    private static readonly string[] Zones = ["example.com", "example.net", "example.org", "example.info"];
    private static readonly string[] FaultKinds = ["ApplyThenFail500", "ApplyThenDrop", "RateLimit"];

    [Test]
    public async Task Three_workers_sharing_one_budget_converge_faulted_batches_without_duplicates_orphans_or_requests_over_the_budget()
    {
        var seed = Scenario.Seed();
        TestContext.Progress.WriteLine($"[reliability] batch-fault scenario seed {seed}");
        var random = new Random(seed);
        var environment = Scenario.WorkerEnvironment(batchSize: BatchSize, retryBaseSec: 1, retryMaxSec: 8);
        environment["Cloudflare__BatchLimit"] = BatchLimit.ToString(CultureInfo.InvariantCulture);
        environment["Cloudflare__RequestsPerWindow"] = RequestsPerWindow.ToString(CultureInfo.InvariantCulture);
        environment["Cloudflare__WindowSec"] = WindowSec.ToString(CultureInfo.InvariantCulture);
        await using var stack = await LocalStack.StartAsync(new LocalStackOptions
        {
            LogDirectory = Scenario.LogDirectory("batch-faults"),
            EmulatorArgs = ["--rate-limit", RequestsPerWindow.ToString(CultureInfo.InvariantCulture),
                "--rate-limit-window", WindowSec.ToString(CultureInfo.InvariantCulture), "--record-quota", "100000"],
            Zone = Zones[0],
            ExtraZones = Zones[1..],
            WorkerEnvironment = environment,
            Workers = 3,
        });
        await Scenario.InstallLeaseAuditAsync(stack);
        await BudgetAudit.InstallAsync(stack);
        // The first matching rule fires, so each probability is conditional on the earlier rules not firing: marginal
        // rates of 10%, 10% and 8% of all batches.
        await Scenario.AddFaultAsync(stack, new { method = "POST", pathPattern = BatchPath, kind = "ApplyThenFail500", probability = 0.10 });
        await Scenario.AddFaultAsync(stack, new { method = "POST", pathPattern = BatchPath, kind = "ApplyThenDrop", probability = 0.10 / 0.90 });
        await Scenario.AddFaultAsync(stack, new { method = "POST", pathPattern = BatchPath, kind = "RateLimit", retryAfterSeconds = RetryAfterSeconds, probability = 0.08 / 0.80 });
        var total = Stopwatch.StartNew();

        var specs = Enumerable.Range(0, Records).Select(i => (Zone: Zones[i % Zones.Length], Spec: Scenario.Spec(i, "batch"))).ToList();
        var ids = new long[Records];
        await Task.WhenAll(Zones.Select(async zone =>
        {
            var indexes = Enumerable.Range(0, Records).Where(i => specs[i].Zone == zone).ToList();
            var created = await Scenario.CreateAsync(stack.ApiClient, stack.Zones[zone].DomainId, indexes.Select(i => specs[i].Spec).ToList(), parallelism: 4);
            foreach (var (index, id) in indexes.Zip(created)) ids[index] = id;
        }));
        // Change intent while the workers are still creating: some updates and deletes meet rows in flight or in error.
        await Scenario.EventuallyAsync(async () => await Scenario.CountAsync(stack, "status = 'active'") >= Records / 4,
            TimeSpan.FromSeconds(90), "a quarter of the records active");
        var shuffled = Enumerable.Range(0, Records).OrderBy(_ => random.Next()).ToList();
        await Task.WhenAll(
            Scenario.UpdateAsync(stack.ApiClient, shuffled.Take(Updates).Select(i => (ids[i], Scenario.NewValue(specs[i].Spec, i)))),
            Scenario.DeleteAsync(stack.ApiClient, shuffled.Skip(Updates).Take(Deletes).Select(i => ids[i])));
        var changesDone = total.Elapsed;

        var expected = Records - Deletes;
        var converge = await Scenario.WaitForConvergenceAsync(stack, expected, TimeSpan.FromSeconds(150),
            () => string.Join("\n---\n", stack.Workers.Select(w => w.LogTail(10))));
        var check = await Scenario.CompareAsync(stack);
        var log = await Scenario.RequestLogAsync(stack);
        var events = await BudgetAudit.ReadAsync(stack);
        var audit = await Scenario.ReadLeaseAuditAsync(stack);
        var orphans = await OrphansAsync(stack);
        var locked = await Scenario.CountAsync(stack, "locked_by IS NOT NULL OR status = 'running'");
        var sentAgainBlind = Scenario.CreatesSentAgainWithoutLookup(log);
        var appliedSentAgain = Scenario.AppliedCreatesSentAgain(log);
        var insideBlocks = BudgetAudit.ReservationsInsideBlocks(events);
        var unreserved = BudgetAudit.RequestsWithoutReservation(events, log);
        var (retryAfterViolations, blockDelays, inFlightArrivals) = BudgetAudit.RetryAfterWindows(events, log, TimeSpan.FromSeconds(RetryAfterSeconds));
        var busiest = BudgetAudit.BusiestWindow(log, TimeSpan.FromSeconds(WindowSec));
        var faults = log.Where(r => r.Fault is not null).GroupBy(r => r.Fault!).ToDictionary(g => g.Key, g => g.Count());
        var workerLogs = stack.Workers.Select(w => File.ReadAllText(w.LogPath)).ToList();
        var budgetDeferrals = workerLogs.Sum(l => Occurrences(l, "not sent: waiting for the request budget"));
        var blockDeferrals = workerLogs.Sum(l => Occurrences(l, "not sent: Retry-After of an earlier 429"));
        var batches = log.Where(r => r.IsBatch).ToList();

        await ScenarioResults.WriteAsync("19-batch-faults", stack.ConnectionString, new Dictionary<string, object?>
        {
            ["seed"] = seed,
            ["workers"] = stack.Workers.Count,
            ["zones"] = Zones.Length,
            ["recordsCreated"] = Records,
            ["recordsUpdated"] = Updates,
            ["recordsDeleted"] = Deletes,
            ["batchLimit"] = BatchLimit,
            ["budget"] = $"{RequestsPerWindow} requests per {WindowSec} s (workers and emulator)",
            ["rowsActive"] = await Scenario.CountAsync(stack, "status = 'active'"),
            ["remoteRecords"] = check.RemoteRecords,
            ["duplicates"] = check.Duplicates,
            ["mismatches"] = check.Problems.Count,
            ["orphans"] = orphans.Count,
            ["rowsRunningOrLocked"] = locked,
            ["providerRequests"] = log.Count,
            ["requestsPerRecordChange"] = Math.Round((double)log.Count / (Records + Updates + Deletes), 2),
            ["batchRequests"] = batches.Count,
            ["createsPerBatchWithCreates"] = Math.Round(batches.Where(b => b.Creates.Count > 0).Select(b => (double)b.Creates.Count).DefaultIfEmpty().Average(), 1),
            ["singleRequests"] = log.Count(r => r.IsMutation && !r.IsBatch),
            ["zoneListings"] = log.Count(r => r.IsZoneListing),
            ["lookupsByName"] = log.Count(r => r.LookupName is not null),
            ["faults"] = faults.OrderBy(f => f.Key, StringComparer.Ordinal).ToDictionary(),
            ["emulatorRateLimited"] = log.Count(r => r.Status == 429 && r.Fault is null),
            ["rowsDeferredByTheBudget"] = budgetDeferrals,
            ["rowsDeferredByAnotherWorkers429"] = blockDeferrals,
            ["busiestWindowRequests"] = busiest.Requests,
            ["reservationsInsideA429Block"] = insideBlocks.Count,
            ["requestsWithoutReservation"] = unreserved.Count,
            ["requestsInsideRetryAfter"] = retryAfterViolations.Count,
            ["requestsOnTheirWayInsideRetryAfter"] = inFlightArrivals,
            ["slowest429ToSharedBlockMs"] = blockDelays.Count == 0 ? null : blockDelays.Max(),
            ["createsSentAgainWithoutLookup"] = sentAgainBlind.Count,
            ["appliedCreatesSentAgain"] = appliedSentAgain.Count,
            ["claimsByWorker"] = audit.ClaimsByInstance,
            ["claimsOfLiveLeases"] = audit.ClaimsOfLiveLeases,
            ["secondsOfChanges"] = Math.Round(changesDone.TotalSeconds, 1),
            ["secondsToConvergeAfterLastChange"] = Math.Round(converge.TotalSeconds, 1),
            ["secondsTotal"] = Math.Round(total.Elapsed.TotalSeconds, 1),
        });

        Scenario.AssertMatches(check, expected);
        Assert.Multiple(() =>
        {
            Assert.That(orphans, Is.Empty, "no remote record carries our marker without a present row");
            Assert.That(locked, Is.Zero, "no row left running or locked");
            Assert.That(sentAgainBlind, Is.Empty, "after a create that may have been applied, the next one comes after a look:\n" + string.Join("\n", sentAgainBlind.Take(10)));
            Assert.That(appliedSentAgain, Is.Empty, "a create that was applied is found again, never sent again:\n" + string.Join("\n", appliedSentAgain.Take(10)));
            Assert.That(insideBlocks, Is.Empty, "no worker reserved a request while another's 429 blocked the token:\n" + string.Join("\n", insideBlocks.Take(10)));
            Assert.That(unreserved, Is.Empty, "every request was reserved in the shared budget before it was sent:\n" + string.Join("\n", unreserved.Take(10)));
            Assert.That(retryAfterViolations, Is.Empty, "no request of the token inside a 429's Retry-After, from any worker:\n" + string.Join("\n", retryAfterViolations.Take(10)));
            Assert.That(busiest.Requests, Is.LessThanOrEqualTo(RequestsPerWindow),
                $"the three workers together sent at most {RequestsPerWindow} requests in any {WindowSec} s (busiest window ending {busiest.EndingAt:O})");
            Assert.That(log.Where(r => r.Credential is null), Is.Empty, "every request carried the shared token");
            Assert.That(audit.ClaimsOfLiveLeases, Is.Zero, "no worker claimed a row whose lease another held");
            // The scenario really ran: all three workers, every fault kind, and a budget that held them back.
            Assert.That(audit.ClaimsByInstance, Has.Count.EqualTo(3), "all three workers claimed rows");
            foreach (var kind in FaultKinds)
                Assert.That(faults.GetValueOrDefault(kind), Is.Positive, $"the batches met {kind}");
            Assert.That(budgetDeferrals, Is.Positive, "the shared budget held rows back");
            Assert.That(batches.Count(b => b.Status == 200 && b.Creates.Count > 1), Is.Positive, "batches of several creates were applied");
        });
    }

    /// <summary>Remote records marked as one of ours (any installation) whose row no longer exists or is being deleted.</summary>
    private static async Task<List<string>> OrphansAsync(LocalStack stack)
    {
        await using var connection = new MySqlConnection(stack.ConnectionString);
        var present = (await connection.QueryAsync<long>("SELECT id FROM domain_dns_records WHERE desired_state = 'present'")).ToHashSet();
        var orphans = new List<string>();
        foreach (var zone in Zones)
        foreach (var record in await stack.RemoteRecordsAsync(zone))
        {
            var comment = record!["comment"]?.GetValue<string>();
            if (StaleDuplicates.TryParseMarker(comment, out var row) && !present.Contains(row))
                orphans.Add($"{record["id"]} ({record["type"]} {record["name"]}, comment {comment})");
        }
        return orphans;
    }

    private static int Occurrences(string text, string value)
    {
        var count = 0;
        for (var at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + value.Length, StringComparison.Ordinal)) count++;
        return count;
    }
}
