using System.Net.Http.Headers;

namespace DnsSync.Worker.Cloudflare;

/// <summary>Reads a 429's Retry-After for the client and the limiter alike.</summary>
internal static class RetryAfterHeader
{
    /// <summary>Cloudflare's Retry-After may be long; a record never waits more than this.</summary>
    public static readonly TimeSpan Max = TimeSpan.FromMinutes(5);

    /// <summary>Retry-After as seconds or as an HTTP date; 60 s when absent; kept within 1 s … 5 min.</summary>
    public static TimeSpan Read(RetryConditionHeaderValue? header)
    {
        var wait = header?.Delta
            ?? (header?.Date is { } date ? date - DateTimeOffset.UtcNow : TimeSpan.FromSeconds(60));
        if (wait < TimeSpan.FromSeconds(1)) wait = TimeSpan.FromSeconds(1);
        return wait > Max ? Max : wait;
    }
}
