namespace DnsSync.Shared.Records;

/// <summary>One row of domain_dns_records, as Dapper reads it (snake_case columns).</summary>
public sealed class DnsRecordRow
{
    public long Id { get; init; }
    public long DomainId { get; init; }
    public string Type { get; init; } = "";
    public string Name { get; init; } = "";
    public string Value { get; init; } = "";
    public int Ttl { get; init; }
    public bool Proxied { get; init; }
    public string Status { get; init; } = "";
    public string DesiredState { get; init; } = "";
    public string? ProviderRecordId { get; init; }
    public string? LastError { get; init; }
    public int RetryCount { get; init; }
    public DateTime? NextRetryAt { get; init; }
    public string OwnerType { get; init; } = "";
    public long OwnerId { get; init; }
    public long Version { get; init; }
    public int AttemptCount { get; init; }
    public string? LockedBy { get; init; }
    public DateTime? LockedUntil { get; init; }
    public DateTime? LastSyncedAt { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; init; }
}

/// <summary>Values of domain_dns_records.status.</summary>
public static class RecordStatus
{
    public const string Pending = "pending";
    public const string Running = "running";
    public const string Active = "active";
    public const string Error = "error";
    public static readonly IReadOnlyList<string> All = [Pending, Running, Active, Error];
}

/// <summary>Values of domain_dns_records.desired_state.</summary>
public static class DesiredState
{
    public const string Present = "present";
    public const string Absent = "absent";
    public static readonly IReadOnlyList<string> All = [Present, Absent];
}

/// <summary>Retry policy shared by the worker (which applies it) and the API (which reports it).</summary>
public static class RetryPolicy
{
    /// <summary>After this many failures automatic retries stop until POST retry.</summary>
    public const int MaxAttempts = 10;

    /// <summary>The backoff base, in seconds, unless the worker is configured otherwise (DnsWorker:RetryBaseSec).</summary>
    public const int DefaultBaseSeconds = 30;

    /// <summary>The longest wait between automatic retries.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(30);

    /// <summary>
    /// min(2^retryCount × base, cap), where retryCount counts the failures before this one
    /// (base 30 s and cap 30 min by default; the worker's DnsWorker:RetryBaseSec and RetryMaxSec).
    /// </summary>
    public static TimeSpan Backoff(int retryCount, int baseSeconds = DefaultBaseSeconds, int? maxSeconds = null) =>
        TimeSpan.FromSeconds(Math.Min(Math.Pow(2, Math.Clamp(retryCount, 0, 16)) * baseSeconds, maxSeconds ?? MaxBackoff.TotalSeconds));

    /// <summary>The last_error column holds 255 characters; cut on a character (not surrogate) boundary.</summary>
    public static string TruncateError(string message)
    {
        if (message.Length <= 255) return message;
        var cut = char.IsHighSurrogate(message[254]) ? 254 : 255;
        return message[..cut];
    }
}
