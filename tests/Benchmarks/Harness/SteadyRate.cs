namespace DnsSync.Benchmarks.Harness;

/// <summary>
/// Open-loop load: action i starts at start + i / rate whether or not earlier actions have finished, so a slow
/// system under test cannot slow the arrival rate down (the mistake of a closed loop measuring latency).
/// </summary>
internal static class SteadyRate
{
    /// <summary>When action <paramref name="index"/> is due, from the start of the run.</summary>
    public static TimeSpan DueOffset(int index, double perSecond)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perSecond);
        return TimeSpan.FromSeconds(index / perSecond);
    }

    /// <summary>Runs <paramref name="count"/> actions at <paramref name="perSecond"/> and waits for all of them.</summary>
    /// <returns>The largest delay between an action's due time and its actual start (how well the rate was kept).</returns>
    public static async Task<TimeSpan> RunAsync(int count, double perSecond, Func<int, Task> action, TimeProvider time,
        CancellationToken cancellationToken = default)
    {
        var started = time.GetTimestamp();
        var running = new List<Task>(count);
        var worstLateness = TimeSpan.Zero;
        for (var i = 0; i < count; i++)
        {
            var due = DueOffset(i, perSecond);
            var wait = due - time.GetElapsedTime(started);
            if (wait > TimeSpan.Zero) await Task.Delay(wait, time, cancellationToken);
            var lateness = time.GetElapsedTime(started) - due;
            if (lateness > worstLateness) worstLateness = lateness;
            var index = i; // the closure must not see the loop variable move on
            running.Add(Task.Run(() => action(index), cancellationToken));
        }
        await Task.WhenAll(running);
        return worstLateness;
    }
}
