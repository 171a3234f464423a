using DnsSync.Shared.Records;

namespace DnsSync.Worker.Auditing;

/// <summary>A row as the audit reads it: its intent, whether a sync is in flight, and its domain (for the fqdn).</summary>
internal sealed class AuditRow
{
    public long Id { get; init; }
    public long DomainId { get; init; }
    public string Zone { get; init; } = "";
    public string Type { get; init; } = "";
    public string Name { get; init; } = "";
    public string Value { get; init; } = "";
    public int Ttl { get; init; }
    public bool Proxied { get; init; }
    public string Status { get; init; } = "";
    public string DesiredState { get; init; } = "";
    public string? ProviderRecordId { get; init; }
    public long Version { get; init; }
    public long? SyncedVersion { get; init; }
    public string? LockedBy { get; init; }
    public DateTime? LastSyncedAt { get; init; }
    public string? LastError { get; init; }

    public bool IsPresent => DesiredState == Shared.Records.DesiredState.Present;

    public string Fqdn => RecordRules.ToFqdn(Zone, Name);

    /// <summary>
    /// True when the row may be judged against a listing started at <paramref name="listedAt"/> (database clock): active
    /// with its current intent applied, held by no worker, and last written back before the listing began. Any other row
    /// is being changed (pending, running, error, absent), or its sync may be newer than what the listing saw.
    /// </summary>
    public bool IsSettled(DateTime listedAt) =>
        Status == RecordStatus.Active && IsPresent && SyncedVersion == Version && LockedBy is null
        && ProviderRecordId is not null && LastSyncedAt is { } synced && synced < listedAt;

    /// <summary>True when the remote record stands at this row's type and name.</summary>
    public bool SameNameAndType(Cloudflare.CloudflareDnsRecord remote) =>
        string.Equals(remote.Type, Type, StringComparison.OrdinalIgnoreCase) && ZoneClassifier.SameName(remote.Name, Fqdn);
}
