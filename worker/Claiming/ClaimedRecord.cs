using DnsSync.Shared.Records;

namespace DnsSync.Worker.Claiming;

/// <summary>
/// A row this instance holds a lease on, with its domain, provider binding and API key, and the status and
/// attempt_count it had before the claim (they decide whether an earlier attempt may have reached the provider).
/// </summary>
internal sealed class ClaimedRecord
{
    public long Id { get; init; }
    public long DomainId { get; init; }
    public string Type { get; init; } = "";
    public string Name { get; init; } = "";
    public string Value { get; init; } = "";
    public int Ttl { get; init; }
    public bool Proxied { get; init; }
    public string DesiredState { get; init; } = "";
    public string? ProviderRecordId { get; init; }
    public int RetryCount { get; init; }
    public long Version { get; init; }

    /// <summary>The version last applied at the provider (null: never).</summary>
    public long? SyncedVersion { get; init; }

    public string? Zone { get; init; }
    public string? DomainStatus { get; init; }
    public string? ProviderZoneId { get; init; }
    public string? BindingStatus { get; init; }
    public string? BindingProvider { get; init; }

    /// <summary>The binding's changes per batch request (null: Cloudflare:BatchLimit).</summary>
    public int? BatchLimit { get; init; }
    public long? ApiKeyId { get; init; }
    public string? ApiKeyAccount { get; init; }
    public string? ApiKeyToken { get; init; }
    public string? ApiKeyStatus { get; init; }

    /// <summary>Status before this claim: pending, error, or running (an expired lease taken over).</summary>
    public string PreviousStatus { get; set; } = "";

    /// <summary>attempt_count before this claim: above zero, a provider call may already have been made.</summary>
    public int PreviousAttemptCount { get; set; }

    /// <summary>Local time after which this instance no longer counts on its lease.</summary>
    public DateTimeOffset LeaseDeadline { get; set; }

    public bool IsPresent => DesiredState == Shared.Records.DesiredState.Present;

    /// <summary>The action this row is headed for, before the provider's answers refine it (log and metric label).</summary>
    public string PlannedAction => IsPresent ? ProviderRecordId is null ? "create" : "update" : "delete";

    public string Fqdn => Zone is null ? Name : RecordRules.ToFqdn(Zone, Name);

    /// <summary>
    /// True when the row has no saved provider_record_id but an earlier claim may have created the record
    /// (a crash or a lost answer between the provider call and the write-back).
    /// </summary>
    public bool MayExistRemotely => ProviderRecordId is null && PreviousAttemptCount > 0;

    /// <summary>True when the intent changed since it was last applied at the provider.</summary>
    public bool ChangedSinceSync => SyncedVersion != Version;
}

/// <summary>A row at the same domain and name as a claimed one (used to keep away from others' records).</summary>
internal sealed class SiblingRow
{
    public long Id { get; init; }
    public long DomainId { get; init; }
    public string Type { get; init; } = "";
    public string Name { get; init; } = "";
    public string Value { get; init; } = "";
    public string Status { get; init; } = "";
    public string DesiredState { get; init; } = "";
    public string? ProviderRecordId { get; init; }
}
