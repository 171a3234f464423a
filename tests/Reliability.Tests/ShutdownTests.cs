using System.Diagnostics;
using DnsSync.Reliability.Tests.Support;
using DnsSync.Testing;

namespace DnsSync.Reliability.Tests;

/// <summary>
/// Scenario 6: SIGTERM while a batch is in flight, once with slow provider answers and once with a hung request.
/// Asserted per round: rows were running under the worker at the signal; it exited 0 within the shutdown timeout;
/// no row was left running with a live lease or locked; at most one row (the one whose start raced the signal) had
/// its first request after the signal; no request arrived after the moment the process exited (the exit event's
/// time on the machine clock, which the emulator's log uses too).
/// </summary>
public sealed class ShutdownTests
{
    private const int Records = 120;

    /// <summary>HostOptions.ShutdownTimeout in worker/Program.cs.</summary>
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(30);

    [Test]
    public async Task Sigterm_during_a_batch_exits_0_in_time_and_leaves_no_live_lease_and_nothing_lost()
    {
        await using var stack = await LocalStack.StartAsync(new LocalStackOptions
        {
            LogDirectory = Scenario.LogDirectory("shutdown"),
            EmulatorArgs = Scenario.EmulatorArgs,
            // A create cut short by the hang is a failure like any other; retry it after 1 s, not 30.
            WorkerEnvironment = Scenario.WorkerEnvironment(batchSize: 50, retryBaseSec: 1, retryMaxSec: 8),
        });
        // 80 ms per create: a batch of 50 takes several seconds, so the signal always lands inside one.
        await Scenario.AddFaultAsync(stack, new { method = "POST", pathPattern = "/dns_records$", kind = "Latency", latencyMs = 80 });
        await Scenario.CreateAsync(stack.ApiClient, stack.Zones["example.com"].DomainId,
            Enumerable.Range(0, Records).Select(i => Scenario.Spec(i, "stop")).ToList());

        var rounds = new List<Dictionary<string, object?>>();
        // Round 1: slow answers. Round 2: the next create hangs past the client timeout when the signal comes.
        for (var round = 1; round <= 2; round++)
        {
            var worker = stack.Workers[^1];
            var creates = (await Scenario.RequestLogAsync(stack)).Count(r => r.IsCreate);
            await Scenario.EventuallyAsync(async () => (await Scenario.RequestLogAsync(stack)).Count(r => r.IsCreate) >= creates + 3,
                TimeSpan.FromSeconds(60), $"round {round}: the worker is in the middle of a batch");
            if (round == 2)
            {
                // The first matching rule wins: the one-shot hang goes before the latency rule.
                await Scenario.ClearFaultsAsync(stack);
                await Scenario.AddFaultAsync(stack, new { method = "POST", pathPattern = "/dns_records$", kind = "Hang", hangMs = 4000, count = 1 });
                await Scenario.AddFaultAsync(stack, new { method = "POST", pathPattern = "/dns_records$", kind = "Latency", latencyMs = 80 });
                // A spent one-shot rule disappears from the list: then the hung create is in flight.
                await Scenario.EventuallyAsync(async () => (await Scenario.FaultsAsync(stack)).Count == 1,
                    TimeSpan.FromSeconds(30), "round 2: a create hangs");
            }
            var runningAtSignal = await Scenario.CountAsync(stack, $"status = 'running' AND locked_by = '{Scenario.InstanceId(worker)}'");

            var watch = Stopwatch.StartNew();
            var signalledAt = DateTimeOffset.UtcNow;
            var exitCode = await worker.TerminateAsync(ShutdownTimeout + TimeSpan.FromSeconds(5));
            var seconds = watch.Elapsed.TotalSeconds;
            await Scenario.EventuallyAsync(() => Task.FromResult(worker.ExitedAt is not null), TimeSpan.FromSeconds(5), "the exit event");
            var exitedAt = worker.ExitedAt!.Value;
            var liveLeases = await Scenario.CountAsync(stack, "status = 'running' AND locked_until > UTC_TIMESTAMP(6)");
            var locked = await Scenario.CountAsync(stack, "locked_by IS NOT NULL");
            var log = await Scenario.RequestLogAsync(stack);
            var lateRequests = log.Count(r => r.Time > exitedAt);
            var rowsStartedAfterSignal = RowsStartedAfter(log, signalledAt);
            rounds.Add(new()
            {
                ["round"] = round,
                ["rowsRunningAtSignal"] = runningAtSignal,
                ["exitCode"] = exitCode,
                ["secondsToExit"] = Math.Round(seconds, 2),
                ["secondsFromSignalToExitEvent"] = Math.Round((exitedAt - signalledAt).TotalSeconds, 2),
                ["rowsRunningWithLiveLeaseAfterExit"] = liveLeases,
                ["rowsStillLockedAfterExit"] = locked,
                ["providerRequestsBetweenSignalAndExit"] = log.Count(r => r.Time > signalledAt && r.Time <= exitedAt),
                ["rowsStartedAfterSignal"] = rowsStartedAfterSignal.Count,
                ["providerRequestsAfterExit"] = lateRequests,
            });
            Assert.Multiple(() =>
            {
                Assert.That(runningAtSignal, Is.Positive, $"round {round}: the signal came while the worker held rows");
                Assert.That(exitCode, Is.EqualTo(0), $"round {round}: exit code\n{worker.LogTail()}");
                Assert.That(seconds, Is.LessThan(ShutdownTimeout.TotalSeconds), $"round {round}: exit within the shutdown timeout");
                Assert.That(liveLeases, Is.Zero, $"round {round}: no row left running with a live lease");
                Assert.That(locked, Is.Zero, $"round {round}: every lease released");
                Assert.That(rowsStartedAfterSignal, Has.Count.LessThanOrEqualTo(1),
                    $"round {round}: no new row started after the signal (one may race it): {string.Join(", ", rowsStartedAfterSignal)}");
                Assert.That(lateRequests, Is.Zero, $"round {round}: no provider request arrived after the process exited at {exitedAt:O}");
            });
            stack.StartWorker();
        }

        var converge = await Scenario.WaitForConvergenceAsync(stack, Records, TimeSpan.FromSeconds(60), () => stack.Workers[^1].LogTail());
        var check = await Scenario.CompareAsync(stack);
        await ScenarioResults.WriteAsync("6-shutdown", stack.ConnectionString, new Dictionary<string, object?>
        {
            ["records"] = Records,
            ["shutdownTimeoutSeconds"] = ShutdownTimeout.TotalSeconds,
            ["rounds"] = rounds,
            ["rowsActive"] = await Scenario.CountAsync(stack, "status = 'active'"),
            ["remoteRecords"] = check.RemoteRecords,
            ["duplicates"] = check.Duplicates,
            ["mismatches"] = check.Problems.Count,
            ["secondsToConvergeAfterRestart"] = Math.Round(converge.TotalSeconds, 1),
        });
        Scenario.AssertMatches(check, Records);
    }

    /// <summary>
    /// Names of records whose first request arrived after <paramref name="signalledAt"/>: rows the worker started
    /// after it was told to stop. Every request of this scenario names its record (a create's body, a lookup's filter).
    /// </summary>
    private static List<string> RowsStartedAfter(IReadOnlyList<LoggedRequest> log, DateTimeOffset signalledAt) =>
        log.Select(r => (Name: (r.RecordName ?? r.LookupName)?.TrimEnd('.').ToLowerInvariant(), r.Time))
            .Where(r => r.Name is not null)
            .GroupBy(r => r.Name!)
            .Where(g => g.Min(r => r.Time) > signalledAt)
            .Select(g => g.Key)
            .ToList();
}
