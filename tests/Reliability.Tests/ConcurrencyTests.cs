using System.Diagnostics;
using DnsSync.Reliability.Tests.Support;
using DnsSync.Testing;

namespace DnsSync.Reliability.Tests;

/// <summary>Scenario 2: three worker processes on one database, 1,000 records created, then updated and deleted in part.</summary>
public sealed class ConcurrencyTests
{
    private const int Records = 1000;
    private const int Updates = 300;
    private const int Deletes = 200;

    [Test]
    public async Task Three_workers_never_act_on_one_record_at_once_and_converge_without_duplicates()
    {
        var seed = Scenario.Seed();
        TestContext.Progress.WriteLine($"[reliability] concurrency scenario seed {seed}");
        var random = new Random(seed);
        await using var stack = await LocalStack.StartAsync(new LocalStackOptions
        {
            LogDirectory = Scenario.LogDirectory("concurrency"),
            EmulatorArgs = Scenario.EmulatorArgs,
            // Small batches: the three workers claim side by side many times instead of one taking everything.
            WorkerEnvironment = Scenario.WorkerEnvironment(batchSize: 20),
            Workers = 3,
        });
        // A few ms per change widens each request's in-flight interval, so a second worker acting at once would overlap it.
        await Scenario.AddFaultAsync(stack, new { pathPattern = "/dns_records", kind = "Latency", latencyMs = 5, method = "*" });
        await Scenario.InstallLeaseAuditAsync(stack);
        var total = Stopwatch.StartNew();

        var specs = Enumerable.Range(0, Records).Select(i => Scenario.Spec(i, "conc")).ToList();
        var ids = await Scenario.CreateAsync(stack.ApiClient, stack.Zones["example.com"].DomainId, specs);
        // Change intent while the workers are still creating: some updates and deletes meet rows in flight.
        await Scenario.EventuallyAsync(async () => await Scenario.CountAsync(stack, "status = 'active'") >= Records / 4,
            TimeSpan.FromSeconds(60), "a quarter of the records active");
        var shuffled = Enumerable.Range(0, Records).OrderBy(_ => random.Next()).ToList();
        var updated = shuffled.Take(Updates).ToList();
        var deleted = shuffled.Skip(Updates).Take(Deletes).ToList();
        var changes = Task.WhenAll(
            Scenario.UpdateAsync(stack.ApiClient, updated.Select(i => (ids[i], Scenario.NewValue(specs[i], i)))),
            Scenario.DeleteAsync(stack.ApiClient, deleted.Select(i => ids[i])));
        await changes;

        var expected = Records - Deletes;
        var converge = await Scenario.WaitForConvergenceAsync(stack, expected, TimeSpan.FromSeconds(120),
            () => string.Join("\n---\n", stack.Workers.Select(w => w.LogTail(10))));
        var check = await Scenario.CompareAsync(stack);
        var log = await Scenario.RequestLogAsync(stack);
        var overlaps = Scenario.OverlappingMutations(log);
        var audit = await Scenario.ReadLeaseAuditAsync(stack);
        await ScenarioResults.WriteAsync("2-concurrency", stack.ConnectionString, new Dictionary<string, object?>
        {
            ["seed"] = seed,
            ["workers"] = stack.Workers.Count,
            ["recordsCreated"] = Records,
            ["recordsUpdated"] = Updates,
            ["recordsDeleted"] = Deletes,
            ["rowsActive"] = await Scenario.CountAsync(stack, "status = 'active'"),
            ["remoteRecords"] = check.RemoteRecords,
            ["duplicates"] = check.Duplicates,
            ["mismatches"] = check.Problems.Count,
            ["providerRequests"] = log.Count,
            ["mutatingRequests"] = log.Count(r => r.IsMutation),
            ["overlappingMutationsOfOneRecord"] = overlaps.Count,
            ["claims"] = audit.Claims,
            ["claimsByWorker"] = audit.ClaimsByInstance,
            ["claimsOfLiveLeases"] = audit.ClaimsOfLiveLeases,
            ["takeoversOfExpiredLeases"] = audit.TakeoversOfExpiredLeases,
            ["secondsToConvergeAfterLastChange"] = Math.Round(converge.TotalSeconds, 1),
            ["secondsTotal"] = Math.Round(total.Elapsed.TotalSeconds, 1),
        });

        Scenario.AssertMatches(check, expected);
        Assert.Multiple(() =>
        {
            Assert.That(overlaps, Is.Empty, "no remote record received two changes in flight at once");
            Assert.That(audit.ClaimsOfLiveLeases, Is.Zero, "no worker claimed a row whose lease another held");
            Assert.That(audit.ClaimsByInstance, Has.Count.EqualTo(3), "all three workers claimed rows");
            Assert.That(stack.Workers.All(w => !w.HasExited), Is.True);
        });
    }
}
