using DnsSync.Shared.Audits;

namespace DnsSync.Worker.Auditing;

/// <summary>A zone audit this instance holds the lease on, with what it needs to list the zone.</summary>
internal sealed class ClaimedAudit
{
    public long DomainId { get; init; }
    public string Zone { get; init; } = "";
    public string ProviderZoneId { get; init; } = "";
    public int? BatchLimit { get; init; }
    public long ApiKeyId { get; init; }
    public string? ApiKeyAccount { get; init; }
    public string ApiKeyToken { get; init; } = "";

    /// <summary>A person confirmed the last (halted) audit through the api.</summary>
    public bool ConfirmRequested { get; init; }

    public string? Outcome { get; init; }
    public int? Drift { get; init; }
    public int? Missing { get; init; }
    public int? Orphans { get; init; }

    /// <summary>When the claim was made (database clock): requests for an audit made since then stay for the next one.</summary>
    public DateTime ClaimedAt { get; init; }

    /// <summary>Other domains bound to the same provider zone below this one: their names are theirs to audit.</summary>
    public IReadOnlyList<string> Subzones { get; set; } = [];

    /// <summary>Local time after which this instance no longer counts on its lease.</summary>
    public DateTimeOffset LeaseDeadline { get; set; }

    /// <summary>The changes of the halted audit a person confirmed, or null when none was confirmed.</summary>
    public int? ConfirmedChanges(bool deleteOrphans) =>
        ConfirmRequested && Outcome == AuditOutcome.Halted
            ? (Drift ?? 0) + (Missing ?? 0) + (deleteOrphans ? Orphans ?? 0 : 0)
            : null;
}
