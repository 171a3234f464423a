namespace DnsSync.Benchmarks.Harness;

/// <summary>The busiest stretch of a request log as a sliding-window rate limit sees it.</summary>
internal static class RequestWindows
{
    /// <summary>
    /// The most requests inside any window of <paramref name="window"/>, counted as the emulator's (and Cloudflare's)
    /// sliding window counts them: a request arriving at t shares the window with those that arrived in (t − window, t].
    /// </summary>
    public static int MaxInWindow(IEnumerable<DateTimeOffset> arrivals, TimeSpan window)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        var sorted = arrivals.Order().ToList();
        var max = 0;
        var first = 0;
        for (var last = 0; last < sorted.Count; last++)
        {
            while (sorted[first] <= sorted[last] - window) first++;
            max = Math.Max(max, last - first + 1);
        }
        return max;
    }

    /// <summary>
    /// The busiest window of any one credential, over the requests the limit counts: Cloudflare routes only, and not
    /// those answered 429 (a rate-limited request is not counted against the budget).
    /// </summary>
    public static int BusiestCredentialWindow(IEnumerable<EmulatorRequest> log, TimeSpan window) =>
        log.Where(r => ProviderRequests.Kind(r.Method, r.Path) is not null && r.Status != 429)
            .GroupBy(r => r.Credential ?? "")
            .Select(g => MaxInWindow(g.Select(r => r.Time), window))
            .DefaultIfEmpty(0)
            .Max();
}
