using System.Diagnostics;
using DnsSync.Reliability.Tests.Support;
using DnsSync.Testing;

namespace DnsSync.Reliability.Tests;

/// <summary>Scenario 6: SIGTERM while a batch is in flight, once with slow provider answers and once with a hung request.</summary>
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
            var runningAtSignal = await Scenario.CountAsync(stack, "status = 'running'");

            var watch = Stopwatch.StartNew();
            var exitCode = await worker.TerminateAsync(ShutdownTimeout + TimeSpan.FromSeconds(5));
            var seconds = watch.Elapsed.TotalSeconds;
            var exitedAt = DateTimeOffset.UtcNow;
            var liveLeases = await Scenario.CountAsync(stack, "status = 'running' AND locked_until > UTC_TIMESTAMP(6)");
            var locked = await Scenario.CountAsync(stack, "locked_by IS NOT NULL");
            var lateRequests = (await Scenario.RequestLogAsync(stack)).Count(r => r.Time > exitedAt);
            rounds.Add(new()
            {
                ["round"] = round,
                ["rowsRunningAtSignal"] = runningAtSignal,
                ["exitCode"] = exitCode,
                ["secondsToExit"] = Math.Round(seconds, 2),
                ["rowsRunningWithLiveLeaseAfterExit"] = liveLeases,
                ["rowsStillLockedAfterExit"] = locked,
                ["providerRequestsAfterExit"] = lateRequests,
            });
            Assert.Multiple(() =>
            {
                Assert.That(exitCode, Is.EqualTo(0), $"round {round}: exit code\n{worker.LogTail()}");
                Assert.That(seconds, Is.LessThan(ShutdownTimeout.TotalSeconds), $"round {round}: exit within the shutdown timeout");
                Assert.That(liveLeases, Is.Zero, $"round {round}: no row left running with a live lease");
                Assert.That(locked, Is.Zero, $"round {round}: every lease released");
                Assert.That(lateRequests, Is.Zero, $"round {round}: no provider request after exit");
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
}
