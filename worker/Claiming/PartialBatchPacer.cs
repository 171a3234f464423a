using DnsSync.Worker.Cloudflare;
using Microsoft.Extensions.Options;

namespace DnsSync.Worker.Claiming;

/// <summary>
/// Paces the claims that would send a partial batch: a zone whose due rows are all claimed and fewer than a batch
/// holds. Per API key, a token bucket of <see cref="Burst"/> claims refilled at <see cref="PerSecond"/> — half the
/// credential's sustainable rate (RequestsPerWindow / WindowSec, 2 per second at Cloudflare's 1,200 per 5 minutes),
/// at least one per second. A lone change finds the bucket full and goes at once; a stream of changes (a failover
/// sent as single updates) waits for a token and goes as fewer, fuller batches instead of one small batch per zone
/// every pass. Full batches are never held back: they cannot get cheaper by waiting. The bucket is per worker
/// process; the shared <see cref="RequestBudget"/> is what bounds all workers together.
/// </summary>
internal sealed class PartialBatchPacer(IOptions<CloudflareOptions> options, TimeProvider time)
{
    public const int Burst = 10;

    private readonly Dictionary<long, (double Tokens, DateTimeOffset At)> buckets = [];
    private readonly Lock gate = new();

    public double PerSecond => Math.Max(1, options.Value.RequestsPerWindow / 2.0 / options.Value.WindowSec);

    /// <summary>Takes one claim of a partial batch for <paramref name="apiKeyId"/>; false when it must wait.</summary>
    public bool TryTake(long apiKeyId)
    {
        var now = time.GetUtcNow();
        lock (gate)
        {
            var tokens = buckets.TryGetValue(apiKeyId, out var bucket)
                ? Math.Min(Burst, bucket.Tokens + Math.Max(0, (now - bucket.At).TotalSeconds) * PerSecond)
                : Burst;
            var taken = tokens >= 1;
            buckets[apiKeyId] = (taken ? tokens - 1 : tokens, now);
            return taken;
        }
    }
}
