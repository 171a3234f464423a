using DnsSync.Shared.Records;

namespace DnsSync.Api.Records;

public sealed record CreateRecordRequest(
    long? DomainId, string? Type, string? Name, string? Value, int? Ttl, bool? Proxied, string? OwnerType, long? OwnerId);

/// <summary>Only value, ttl and proxied can change; type, name and owner make up the record's identity.</summary>
public sealed record UpdateRecordRequest(long? Id, string? Value, int? Ttl, bool? Proxied);

public sealed record RecordIdsRequest(long[]? Ids);

public sealed record RecordIdRequest(long? Id);

/// <summary>Query string of GET /dns/records; read as text so every bad value is reported by name.</summary>
public sealed record RecordListQuery(
    string? DomainId, string? Status, string? OwnerType, string? OwnerId, string? Type, string? Name,
    string? DesiredState, string? Page, string? PageSize);

/// <summary>A record as the API shows it.</summary>
public sealed record RecordDto(
    long Id, long DomainId, string Type, string Name, string Fqdn, string Value, int Ttl, bool Proxied,
    string Status, string DesiredState, string? ProviderRecordId, string? LastError, int RetryCount,
    DateTime? NextRetryAt, string OwnerType, long OwnerId, long Version, DateTime? LastSyncedAt,
    DateTime CreatedAt, DateTime UpdatedAt)
{
    public static RecordDto From(DnsRecordRow row, string zone) => new(
        row.Id, row.DomainId, row.Type, row.Name, RecordRules.ToFqdn(zone, row.Name), row.Value, row.Ttl, row.Proxied,
        row.Status, row.DesiredState, row.ProviderRecordId, row.LastError, row.RetryCount, row.NextRetryAt,
        row.OwnerType, row.OwnerId, row.Version, row.LastSyncedAt, row.CreatedAt, row.UpdatedAt);
}

/// <summary>A validated, normalised record to create.</summary>
internal sealed record NewRecord(long DomainId, string Type, string Name, string Value, int Ttl, bool Proxied, string OwnerType, long OwnerId);

/// <summary>What a create came to.</summary>
internal abstract record CreateOutcome
{
    public sealed record Created(RecordDto Record) : CreateOutcome;
    /// <summary>An identical present record of the same owner already existed: the create is a safe retry.</summary>
    public sealed record Existing(RecordDto Record) : CreateOutcome;
    public sealed record Conflict(string Message, long ConflictingId) : CreateOutcome;
    /// <summary>The domain is inactive, or has no active binding with an active key.</summary>
    public sealed record DomainNotUsable : CreateOutcome;
    /// <summary>The per-name lock was not granted in time.</summary>
    public sealed record Busy : CreateOutcome;
}

/// <summary>The domain a record is created in, with what decides whether records may be created there.</summary>
internal sealed record DomainTarget(long Id, string Domain, string Status, string? BindingStatus, string? KeyStatus);

/// <summary>Validated filters of the record list.</summary>
internal sealed record RecordFilter(
    long? DomainId, string? Status, string? OwnerType, long? OwnerId, string? Type, string? Name, string? DesiredState,
    int Page, int PageSize);
