namespace DnsSync.Worker;

/// <summary>
/// How long the loop waits before the next pass. Idle, it polls every IntervalSec, as configured. Once a pass
/// found work, more is likely to follow (a client creating records one by one), so the next pass comes after
/// <see cref="Busy"/> and the wait then doubles back up to IntervalSec while passes find nothing. A full batch
/// is followed at once. The database sees IntervalSec polls when idle and a few more for ~2 s after work, and a
/// record created while the worker is busy waits about <see cref="Busy"/>, not a whole interval.
/// </summary>
internal static class PollDelay
{
    /// <summary>The wait after a pass that claimed rows but not a full batch.</summary>
    public static readonly TimeSpan Busy = TimeSpan.FromMilliseconds(100);

    public static TimeSpan Next(TimeSpan previous, int claimed, int batchSize, TimeSpan interval)
    {
        if (claimed >= batchSize) return TimeSpan.Zero;
        var shortest = Busy < interval ? Busy : interval;
        if (claimed > 0) return shortest;
        var doubled = previous * 2;
        return doubled < shortest ? shortest : doubled > interval ? interval : doubled;
    }
}
