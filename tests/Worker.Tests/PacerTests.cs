using DnsSync.Worker.Claiming;
using Microsoft.Extensions.Options;

namespace DnsSync.Worker.Tests;

/// <summary>The token bucket behind the pacing of partial batches (the claim's side is in ClaimTests).</summary>
public sealed class PacerTests
{
    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static (PartialBatchPacer Pacer, ManualClock Clock) Pacer(int requestsPerWindow = 1200, int windowSec = 300)
    {
        var clock = new ManualClock();
        return (new PartialBatchPacer(Options.Create(new CloudflareOptions { RequestsPerWindow = requestsPerWindow, WindowSec = windowSec }), clock), clock);
    }

    [Test]
    public void A_burst_goes_at_once_then_half_the_sustainable_rate()
    {
        var (pacer, clock) = Pacer();
        var burst = Enumerable.Range(0, PartialBatchPacer.Burst + 1).Count(_ => pacer.TryTake(7));
        clock.Now += TimeSpan.FromSeconds(0.4);
        var afterLess = pacer.TryTake(7);
        clock.Now += TimeSpan.FromSeconds(0.1);
        var afterHalfSecond = pacer.TryTake(7);

        Assert.Multiple(() =>
        {
            Assert.That(pacer.PerSecond, Is.EqualTo(2), "1,200 per 300 s is 4 per second; partial batches get half");
            Assert.That(burst, Is.EqualTo(PartialBatchPacer.Burst));
            Assert.That(afterLess, Is.False, "0.8 of a token after 0.4 s");
            Assert.That(afterHalfSecond, Is.True);
        });
    }

    [Test]
    public void Keys_have_their_own_buckets_and_a_bucket_never_holds_more_than_the_burst()
    {
        var (pacer, clock) = Pacer();
        while (pacer.TryTake(1)) { }
        var other = pacer.TryTake(2);
        clock.Now += TimeSpan.FromHours(1);
        var refilled = Enumerable.Range(0, PartialBatchPacer.Burst + 5).Count(_ => pacer.TryTake(1));

        Assert.Multiple(() =>
        {
            Assert.That(other, Is.True);
            Assert.That(refilled, Is.EqualTo(PartialBatchPacer.Burst));
        });
    }

    [Test]
    public void A_tiny_budget_still_refills_one_per_second()
    {
        var (pacer, _) = Pacer(requestsPerWindow: 5, windowSec: 300);
        Assert.That(pacer.PerSecond, Is.EqualTo(1), "the shared budget, not the pacer, is what holds a small budget back");
    }
}
