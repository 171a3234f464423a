using DnsSync.Shared.Audits;

namespace DnsSync.Api.Audits;

/// <summary>A row of zone_audits joined to its domain (all null but the domain when it was never audited).</summary>
internal sealed class AuditState
{
    public long DomainId { get; init; }
    public string Domain { get; init; } = "";
    public string? Outcome { get; init; }
    public string? LastError { get; init; }
    public DateTime? StartedAt { get; init; }
    public DateTime? FinishedAt { get; init; }
    public long? DurationMs { get; init; }
    public int? Requests { get; init; }
    public int? RemoteRecords { get; init; }
    public int? ManagedRecords { get; init; }
    public int? InSync { get; init; }
    public int? Drift { get; init; }
    public int? Missing { get; init; }
    public int? Orphans { get; init; }
    public int? Blocking { get; init; }
    public int? Unmanaged { get; init; }
    public int? Unjudged { get; init; }
    public int? Repaired { get; init; }
    public int? Recreated { get; init; }
    public int? OrphansDeleted { get; init; }
    public DateTime? RequestedAt { get; init; }
    public bool ConfirmRequested { get; init; }
    public DateTime? DueAt { get; init; }
    public bool Running { get; init; }

    private bool Completed => FinishedAt is not null;

    public AuditDto ToDto(PagedList<AuditDifferenceDto>? differences) => new(
        DomainId, Domain, Outcome, Summary(), Running, StartedAt, FinishedAt, DurationMs, Requests, RemoteRecords, ManagedRecords,
        Completed ? new AuditCountsDto(InSync ?? 0, Drift ?? 0, Missing ?? 0, Orphans ?? 0, Blocking ?? 0, Unmanaged ?? 0, Unjudged ?? 0) : null,
        Completed ? new AuditAppliedDto(Repaired ?? 0, Recreated ?? 0, OrphansDeleted ?? 0) : null,
        LastError, RequestedAt, ConfirmRequested, DueAt, differences);

    /// <summary>One sentence a person can act on.</summary>
    private string Summary() => Outcome switch
    {
        null when RequestedAt is not null => "not audited yet: an audit is requested and waits for a worker",
        null => "not audited yet",
        AuditOutcome.Halted => $"audit halted: {Drift ?? 0} drifted, {Missing ?? 0} missing and {Orphans ?? 0} orphan records among {ManagedRecords ?? 0} managed "
            + "exceed the worker's DnsWorker:AuditMaxChangeRatio; nothing was applied. Check the differences, then confirm with "
            + $"POST /api/v1/domains/{DomainId}/audit {{\"confirm\": true}}" + (ConfirmRequested ? " (confirmed: the next audit applies)" : ""),
        AuditOutcome.Failed => $"the last audit failed: {LastError}" + (Completed ? $"; the counts are those of the audit finished at {FinishedAt:O}" : ""),
        _ => $"{InSync ?? 0} in sync; {Repaired ?? 0} drifted rows sent for repair, {Recreated ?? 0} missing ones for re-creation, "
            + $"{OrphansDeleted ?? 0} of {Orphans ?? 0} orphans deleted; {Blocking ?? 0} blocking and {Unmanaged ?? 0} unmanaged records reported",
    };
}
