using System.Diagnostics;
using DnsSync.Reliability.Tests.Support;
using DnsSync.Testing;

namespace DnsSync.Reliability.Tests;

/// <summary>
/// Scenario 6: SIGTERM while a batch request is held at the emulator, once with a slow answer and once with a request
/// that hangs past the client timeout. Each round's worker starts with the hold in place, so the held batch is the
/// first of a pass that has more batches to send. Asserted per round: the signal came while the held batch was in
/// flight and rows were running under the worker; it exited 0 within the shutdown timeout; no row was left running
/// with a live lease or locked; no request arrived after the signal (the pass's remaining batches were not sent);
/// only the held batch's rows were completed after it; no request arrived after the moment the process exited (the
/// exit event's time on the machine clock, which the emulator's log uses too).
/// </summary>
public sealed class ShutdownTests
{
    private const int Records = 120;
    private const int BatchSize = 50;
    private const int BatchLimit = 10;
    private const string BatchPath = "^/zones/[^/]+/dns_records/batch$";

    /// <summary>HostOptions.ShutdownTimeout in worker/WorkerHost.cs.</summary>
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(30);

    [Test]
    public async Task Sigterm_during_a_batch_exits_0_in_time_and_leaves_no_live_lease_and_nothing_lost()
    {
        // A create cut short by the hang is a failure like any other; retry it after 1 s, not 30. A 5 s provider
        // timeout (lease 15 s) leaves a slow answer of 3 s room to complete, and the test seconds to send the signal.
        var environment = Scenario.WorkerEnvironment(batchSize: BatchSize, retryBaseSec: 1, retryMaxSec: 8);
        environment["Cloudflare__BatchLimit"] = BatchLimit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        environment["Cloudflare__TimeoutSec"] = "5";
        environment["DnsWorker__LeaseSec"] = "15";
        await using var stack = await LocalStack.StartAsync(new LocalStackOptions
        {
            LogDirectory = Scenario.LogDirectory("shutdown"),
            EmulatorArgs = Scenario.EmulatorArgs,
            WorkerEnvironment = environment,
            Workers = 0,
        });
        await Scenario.CreateAsync(stack.ApiClient, stack.Zones["example.com"].DomainId,
            Enumerable.Range(0, Records).Select(i => Scenario.Spec(i, "stop")).ToList());

        var rounds = new List<Dictionary<string, object?>>();
        // Round 1: the first batch is answered after 3 s. Round 2: it hangs past the client timeout.
        for (var round = 1; round <= 2; round++)
        {
            var fault = round == 1 ? "Latency" : "Hang";
            var roundStart = DateTimeOffset.UtcNow;
            await Scenario.ClearFaultsAsync(stack);
            await Scenario.AddFaultAsync(stack, new { method = "POST", pathPattern = BatchPath, kind = fault, latencyMs = 3000, hangMs = 10_000, count = 1 });
            // Before the worker starts, so the rule holds the first batch of its first pass (there are batches after it).
            var worker = stack.StartWorker();
            // A spent one-shot rule disappears from the list: then the held batch is in flight.
            await Scenario.EventuallyAsync(async () => (await Scenario.FaultsAsync(stack)).Count == 0,
                TimeSpan.FromSeconds(60), $"round {round}: the worker is in the middle of a batch");
            var runningAtSignal = await Scenario.CountAsync(stack, $"status = 'running' AND locked_by = '{Scenario.InstanceId(worker)}'");
            var activeAtSignal = await Scenario.CountAsync(stack, "status = 'active'");

            var watch = Stopwatch.StartNew();
            var signalledAt = DateTimeOffset.UtcNow;
            var exitCode = await worker.TerminateAsync(ShutdownTimeout + TimeSpan.FromSeconds(5));
            var seconds = watch.Elapsed.TotalSeconds;
            await Scenario.EventuallyAsync(() => Task.FromResult(worker.ExitedAt is not null), TimeSpan.FromSeconds(5), "the exit event");
            var exitedAt = worker.ExitedAt!.Value;
            var liveLeases = await Scenario.CountAsync(stack, "status = 'running' AND locked_until > UTC_TIMESTAMP(6)");
            var locked = await Scenario.CountAsync(stack, "locked_by IS NOT NULL");
            var completedAfterSignal = await Scenario.CountAsync(stack, "status = 'active'") - activeAtSignal;
            var log = await Scenario.RequestLogAsync(stack);
            var heldBatch = log.Single(r => r.IsBatch && r.Fault == fault && r.Time >= roundStart);
            var afterSignal = log.Where(r => r.Time > signalledAt).ToList();
            var lateRequests = log.Count(r => r.Time > exitedAt);
            rounds.Add(new()
            {
                ["round"] = round,
                ["heldBatch"] = $"{fault}, {heldBatch.Creates.Count} creates, answered {heldBatch.Status} after {Math.Round(heldBatch.DurationMs)} ms",
                ["rowsRunningAtSignal"] = runningAtSignal,
                ["exitCode"] = exitCode,
                ["secondsToExit"] = Math.Round(seconds, 2),
                ["secondsFromSignalToExitEvent"] = Math.Round((exitedAt - signalledAt).TotalSeconds, 2),
                ["rowsRunningWithLiveLeaseAfterExit"] = liveLeases,
                ["rowsStillLockedAfterExit"] = locked,
                ["rowsCompletedAfterSignal"] = completedAfterSignal,
                ["providerRequestsAfterSignal"] = afterSignal.Count,
                ["providerRequestsAfterExit"] = lateRequests,
            });
            Assert.Multiple(() =>
            {
                Assert.That(heldBatch.Time < signalledAt && heldBatch.End > signalledAt, Is.True,
                    $"round {round}: the signal came while the held batch was in flight ({heldBatch.Time:O} + {heldBatch.DurationMs:F0} ms, signal {signalledAt:O})");
                Assert.That(runningAtSignal, Is.GreaterThan(heldBatch.Creates.Count),
                    $"round {round}: the signal came while the worker held rows beyond the batch in flight");
                Assert.That(exitCode, Is.EqualTo(0), $"round {round}: exit code\n{worker.LogTail()}");
                Assert.That(seconds, Is.LessThan(ShutdownTimeout.TotalSeconds), $"round {round}: exit within the shutdown timeout");
                Assert.That(liveLeases, Is.Zero, $"round {round}: no row left running with a live lease");
                Assert.That(locked, Is.Zero, $"round {round}: every lease released");
                Assert.That(afterSignal.Select(r => $"{r.Method} {r.Path} at {r.Time:O} ({r.Creates.Count} creates)"), Is.Empty,
                    $"round {round}: no request started after the signal (the pass's remaining batches are given back)");
                Assert.That(completedAfterSignal, Is.LessThanOrEqualTo(heldBatch.Creates.Count),
                    $"round {round}: at most the rows of the batch in flight were completed after the signal");
                Assert.That(lateRequests, Is.Zero, $"round {round}: no provider request arrived after the process exited at {exitedAt:O}");
            });
        }

        await Scenario.ClearFaultsAsync(stack);
        stack.StartWorker();
        var converge = await Scenario.WaitForConvergenceAsync(stack, Records, TimeSpan.FromSeconds(60), () => stack.Workers[^1].LogTail());
        var check = await Scenario.CompareAsync(stack);
        await ScenarioResults.WriteAsync("6-shutdown", stack.ConnectionString, new Dictionary<string, object?>
        {
            ["records"] = Records,
            ["batchSize"] = BatchSize,
            ["batchLimit"] = BatchLimit,
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
