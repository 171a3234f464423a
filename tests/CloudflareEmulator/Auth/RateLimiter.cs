namespace DnsSync.CloudflareEmulator.Auth;

/// <summary>Sliding-window log per credential identity: at most N accepted requests in any window.</summary>
internal sealed class RateLimiter(EmulatorOptions options)
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, Queue<DateTimeOffset>> accepted = new(StringComparer.Ordinal);

    /// <summary>Counts the request if a slot is free; otherwise returns the whole seconds until one frees.</summary>
    public bool TryAcquire(string identity, out int retryAfterSeconds)
    {
        var now = options.TimeProvider.GetUtcNow();
        lock (gate)
        {
            if (!accepted.TryGetValue(identity, out var log)) accepted[identity] = log = new Queue<DateTimeOffset>();
            while (log.Count > 0 && log.Peek() <= now - options.RateLimitWindow) log.Dequeue();
            if (log.Count < options.RateLimitRequests)
            {
                log.Enqueue(now);
                retryAfterSeconds = 0;
                return true;
            }

            var wait = log.Peek() + options.RateLimitWindow - now;
            retryAfterSeconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
            return false;
        }
    }

    public void Reset()
    {
        lock (gate) accepted.Clear();
    }
}
