namespace DnsSync.Shared.Records;

/// <summary>Retry policy shared by the worker (which applies it), the API (which reports it) and the claim index.</summary>
public static class RetryPolicy
{
    /// <summary>After this many failures automatic retries stop until POST retry.</summary>
    public const int MaxAttempts = 10;

    /// <summary>The backoff base, in seconds, unless the worker is configured otherwise (DnsWorker:RetryBaseSec).</summary>
    public const int DefaultBaseSeconds = 30;

    /// <summary>The longest wait between automatic retries.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(30);

    /// <summary>
    /// The seed's schedule: min(2^failures × base, cap), where <paramref name="failures"/> is retry_count after
    /// this failure — 60 s after the first, 120 s after the second, … 1800 s from the sixth (base 30 s, cap 30 min).
    /// </summary>
    public static TimeSpan Backoff(int failures, int baseSeconds = DefaultBaseSeconds, int? maxSeconds = null) =>
        TimeSpan.FromSeconds(Math.Min(Math.Pow(2, Math.Clamp(failures, 0, 16)) * baseSeconds, maxSeconds ?? MaxBackoff.TotalSeconds));

    /// <summary>The last_error column holds 255 characters; cut on a character (not surrogate) boundary.</summary>
    public static string TruncateError(string message)
    {
        if (message.Length <= 255) return message;
        var cut = char.IsHighSurrogate(message[254]) ? 254 : 255;
        return message[..cut];
    }
}
