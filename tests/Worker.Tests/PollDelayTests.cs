namespace DnsSync.Worker.Tests;

public sealed class PollDelayTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    [Test]
    public void A_full_batch_is_followed_at_once() =>
        Assert.That(PollDelay.Next(Interval, claimed: 100, batchSize: 100, Interval), Is.EqualTo(TimeSpan.Zero));

    [Test]
    public void A_pass_that_found_work_is_followed_after_the_short_busy_wait() =>
        Assert.That(PollDelay.Next(Interval, claimed: 3, batchSize: 100, Interval), Is.EqualTo(PollDelay.Busy));

    [Test]
    public void Idle_passes_back_off_by_doubling_up_to_the_interval()
    {
        var waits = new List<TimeSpan>();
        var wait = PollDelay.Next(Interval, claimed: 1, batchSize: 100, Interval);
        for (var i = 0; i < 6; i++) waits.Add(wait = PollDelay.Next(wait, claimed: 0, batchSize: 100, Interval));
        Assert.That(waits.Select(w => w.TotalMilliseconds), Is.EqualTo(new double[] { 200, 400, 800, 1000, 1000, 1000 }));
    }

    [Test]
    public void An_idle_worker_polls_at_the_configured_interval_from_the_start() =>
        Assert.That(PollDelay.Next(Interval, claimed: 0, batchSize: 100, Interval), Is.EqualTo(Interval));

    [Test]
    public void The_busy_wait_never_exceeds_the_interval()
    {
        var tiny = TimeSpan.FromMilliseconds(50);
        Assert.That(PollDelay.Next(tiny, claimed: 1, batchSize: 100, tiny), Is.EqualTo(tiny));
        Assert.That(PollDelay.Next(tiny, claimed: 0, batchSize: 100, tiny), Is.EqualTo(tiny));
    }
}
