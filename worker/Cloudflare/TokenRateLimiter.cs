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
    private readonly ConcurrentDictionary<string, Entry> entries = new(StringComparer.Ordinal);

    /// <summary>
    /// Waits up to <paramref name="maxWait"/> for a permit. Throws <see cref="CloudflareRateLimitedException"/>
    /// when the credential is blocked by a Retry-After or no permit frees in time; the record is then
    /// rescheduled rather than holding its lease while waiting.
    /// </summary>
    public async ValueTask AcquireAsync(string identity, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        var entry = entries.GetOrAdd(identity, _ => new Entry(CreateLimiter()));
        var blocked = BlockedFor(entry);
        if (blocked > TimeSpan.Zero) throw new CloudflareRateLimitedException(blocked, fromProvider: false);

        using var immediate = entry.Limiter.AttemptAcquire();
        if (immediate.IsAcquired) return;

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(maxWait);
        try
        {
            using var lease = await entry.Limiter.AcquireAsync(1, timeout.Token);
            if (lease.IsAcquired) return;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
        // Budget used up: the next rows of this credential are refused at once instead of each waiting maxWait.
        Block(identity, SegmentLength);
        throw new CloudflareRateLimitedException(SegmentLength, fromProvider: false);
    }

    /// <summary>Records a provider 429: no request for this credential before <paramref name="retryAfter"/> has passed.</summary>
    public void Block(string identity, TimeSpan retryAfter)
    {
        var entry = entries.GetOrAdd(identity, _ => new Entry(CreateLimiter()));
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
    }
}

/// <summary>Counts every provider request and applies the per-credential budget and Retry-After block.</summary>
internal sealed class TokenRateLimitHandler(TokenRateLimiter limiter, IOptions<CloudflareOptions> options) : DelegatingHandler
{
    /// <summary>Cloudflare's Retry-After may be long; a record never waits more than this.</summary>
    public static readonly TimeSpan MaxRetryAfter = TimeSpan.FromMinutes(5);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var credential = CloudflareAuthHandler.CredentialOf(request);
        await limiter.AcquireAsync(credential.Identity, TimeSpan.FromSeconds(options.Value.TimeoutSec), cancellationToken);
        HttpResponseMessage response;
        try
        {
            response = await base.SendAsync(request, cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            Metrics.WorkerMetrics.ProviderRequests.WithLabels(ex is OperationCanceledException ? "timeout" : "error").Inc();
            throw;
        }
        Metrics.WorkerMetrics.ProviderRequests.WithLabels(((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
        if ((int)response.StatusCode == 429)
        {
            Metrics.WorkerMetrics.RateLimited.Inc();
            limiter.Block(credential.Identity, RetryAfter(response));
        }
        return response;
    }

    public static TimeSpan RetryAfter(HttpResponseMessage response) => RetryAfter(response.Headers.RetryAfter);

    /// <summary>Retry-After as seconds or as an HTTP date; 60 s when absent; kept within 1 s … 5 min.</summary>
    public static TimeSpan RetryAfter(System.Net.Http.Headers.RetryConditionHeaderValue? header)
    {
        var wait = header?.Delta
            ?? (header?.Date is { } date ? date - DateTimeOffset.UtcNow : TimeSpan.FromSeconds(60));
        if (wait < TimeSpan.FromSeconds(1)) wait = TimeSpan.FromSeconds(1);
        return wait > MaxRetryAfter ? MaxRetryAfter : wait;
    }
}
