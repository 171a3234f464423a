using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace DnsSync.Worker.Cloudflare;

/// <summary>
/// Keeps each credential under Cloudflare's budget (1,200 requests per 5 minutes by default) and, after a 429,
/// sends nothing for that credential until its Retry-After has passed.
/// </summary>
internal sealed class TokenRateLimiter(IOptions<CloudflareOptions> options, TimeProvider time) : IDisposable
{
    private const int Segments = 30;
    private const string EarlierRetryAfter = "Retry-After of an earlier 429 from cloudflare";
    private readonly ConcurrentDictionary<string, Entry> entries = new(StringComparer.Ordinal);

    /// <summary>
    /// Takes a permit for one request, or throws <see cref="CloudflareRateLimitedException"/> at once when the
    /// credential is blocked by a Retry-After or its budget is spent. It never waits: a wait inside the HTTP
    /// pipeline would run into the request timeout and look like a provider failure, and the row would hold its
    /// lease meanwhile. The refused row is rescheduled instead, its retry_count unchanged.
    /// </summary>
    public void Acquire(string identity)
    {
        var entry = entries.GetOrAdd(identity, _ => new Entry(CreateLimiter()));
        var blocked = BlockedFor(entry);
        if (blocked > TimeSpan.Zero) throw new CloudflareRateLimitedException(blocked, entry.BlockReason);

        using var lease = entry.Limiter.AttemptAcquire();
        if (lease.IsAcquired) return;

        // Budget spent: the credential's next rows are refused at once until a segment of the window frees up.
        var o = options.Value;
        var reason = $"waiting for the request budget of this API token ({o.RequestsPerWindow} requests per {o.WindowSec} s)";
        Block(identity, SegmentLength, reason);
        throw new CloudflareRateLimitedException(SegmentLength, reason);
    }

    /// <summary>Records a provider 429: no request for this credential before <paramref name="retryAfter"/> has passed.</summary>
    public void Block(string identity, TimeSpan retryAfter, string reason = EarlierRetryAfter)
    {
        var entry = entries.GetOrAdd(identity, _ => new Entry(CreateLimiter()));
        entry.BlockReason = reason;
        var until = time.GetUtcNow().Add(retryAfter).UtcTicks;
        long current;
        do
        {
            current = Interlocked.Read(ref entry.BlockedUntilTicks);
            if (current >= until) return;
        }
        while (Interlocked.CompareExchange(ref entry.BlockedUntilTicks, until, current) != current);
    }

    /// <summary>How long requests for <paramref name="identity"/> must still wait after a 429 (zero when free).</summary>
    public TimeSpan BlockedFor(string identity) =>
        entries.TryGetValue(identity, out var entry) ? BlockedFor(entry) : TimeSpan.Zero;

    public void Dispose()
    {
        foreach (var entry in entries.Values) entry.Limiter.Dispose();
    }

    private TimeSpan BlockedFor(Entry entry)
    {
        var remaining = Interlocked.Read(ref entry.BlockedUntilTicks) - time.GetUtcNow().UtcTicks;
        return remaining > 0 ? TimeSpan.FromTicks(remaining) : TimeSpan.Zero;
    }

    /// <summary>Absorbs the difference in latency between our acquiring a permit and Cloudflare's counting the request.</summary>
    private static readonly TimeSpan LatencyMargin = TimeSpan.FromSeconds(1);

    private TimeSpan Window => TimeSpan.FromSeconds(options.Value.WindowSec);

    /// <summary>
    /// A segmented window hands a permit back between (S-1) and S segments after its request, so the limiter's
    /// window is stretched to make S-1 segments cover Cloudflare's (true sliding) window plus the latency margin.
    /// </summary>
    private TimeSpan SegmentLength => (Window + LatencyMargin) / (Segments - 1);

    private SlidingWindowRateLimiter CreateLimiter() => new(new SlidingWindowRateLimiterOptions
    {
        PermitLimit = options.Value.RequestsPerWindow,
        Window = SegmentLength * Segments,
        SegmentsPerWindow = Segments,
        QueueLimit = 100_000,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        AutoReplenishment = true,
    });

    private sealed class Entry(SlidingWindowRateLimiter limiter)
    {
        public readonly SlidingWindowRateLimiter Limiter = limiter;
        public long BlockedUntilTicks;
        public volatile string BlockReason = EarlierRetryAfter;
    }
}
