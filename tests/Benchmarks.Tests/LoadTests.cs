using DnsSync.Benchmarks.Harness;
using System.Diagnostics;

namespace DnsSync.Benchmarks.Tests;

public sealed class LoadTests
{
    [Test]
    public void Steady_rate_due_times_are_evenly_spaced()
    {
        Assert.Multiple(() =>
        {
            Assert.That(SteadyRate.DueOffset(0, 10), Is.EqualTo(TimeSpan.Zero));
            Assert.That(SteadyRate.DueOffset(5, 10), Is.EqualTo(TimeSpan.FromMilliseconds(500)));
            Assert.That(SteadyRate.DueOffset(3, 0.5), Is.EqualTo(TimeSpan.FromSeconds(6)));
        });
        Assert.Throws<ArgumentOutOfRangeException>(() => SteadyRate.DueOffset(1, 0));
    }

    [Test]
    public async Task Steady_rate_keeps_the_schedule_even_when_actions_are_slow()
    {
        // 20 actions at 100/s, each taking 300 ms: an open loop starts the last one ~190 ms in, not after 19 × 300 ms.
        var starts = new double[20];
        var clock = Stopwatch.StartNew();
        await SteadyRate.RunAsync(20, 100, async i =>
        {
            starts[i] = clock.Elapsed.TotalMilliseconds;
            await Task.Delay(300);
        }, TimeProvider.System);
        var total = clock.Elapsed.TotalMilliseconds;
        Assert.Multiple(() =>
        {
            Assert.That(starts[19], Is.GreaterThanOrEqualTo(185), "the last action must not start before it is due");
            Assert.That(starts[19], Is.LessThan(1500), "slow actions must not hold the schedule back");
            Assert.That(total, Is.GreaterThanOrEqualTo(starts[19] + 295), "RunAsync waits for every action");
            // Not "ordered": on a loaded machine several late actions are released together and stamp their start in
            // any order. The contract is that none starts before its slot.
            Assert.That(starts.Select((start, i) => start - i * 10.0), Has.All.GreaterThanOrEqualTo(-1), "no action starts before it is due");
        });
    }

    [Test]
    public async Task Closed_loop_counts_only_the_measured_window_and_errors_apart()
    {
        var calls = 0;
        var result = await ClosedLoop.RunAsync(4, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(300), async (loop, seq, ct) =>
        {
            Interlocked.Increment(ref calls);
            await Task.Delay(10, ct);
            if (loop == 3 && seq % 2 == 1) throw new InvalidOperationException("boom");
            return loop != 2;
        });
        Assert.Multiple(() =>
        {
            Assert.That(result.Concurrency, Is.EqualTo(4));
            // The measured window is 0.3 s; it ends when the last operation started in it returns, so it may run
            // over by an operation (10 ms) plus scheduling delay on a loaded machine, never under.
            Assert.That(result.Seconds, Is.GreaterThanOrEqualTo(0.3).And.LessThan(2.0));
            Assert.That(result.Operations, Is.GreaterThan(0));
            Assert.That(result.Operations + result.Errors, Is.LessThan(calls), "operations started in the warm-up are not counted");
            Assert.That(result.Errors, Is.GreaterThan(result.Operations / 4), "loop 2 fails always and loop 3 every other time");
            Assert.That(result.FirstError, Is.EqualTo("boom"));
            Assert.That(result.PerSecond, Is.EqualTo(result.Operations / result.Seconds).Within(1e-6));
            Assert.That(result.LatencyMs.P50, Is.GreaterThanOrEqualTo(9));
        });
    }
}
