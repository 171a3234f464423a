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
    public long? SyncedVersion { get; init; }
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
