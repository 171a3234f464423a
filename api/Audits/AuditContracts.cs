using DnsSync.Shared.Audits;

namespace DnsSync.Api.Audits;

/// <summary>Body of POST /domains/{id}/audit (optional): <c>{"confirm": true}</c> releases a halted audit.</summary>
public sealed record AuditRequest(bool? Confirm);

/// <summary>Body of POST /domains/{id}/import (optional): <c>{"dryRun": true}</c> answers what would be imported, writing nothing.</summary>
public sealed record ImportRequest(bool? DryRun);

/// <summary>Query string of GET /domains/{id}/audit: the differences' page and an optional class.</summary>
public sealed record AuditQuery(string? Kind, string? Page, string? PageSize, string? After)
{
    internal IReadOnlyList<FieldError> Validate(out string? kind, out Paging paging)
    {
        var validation = new Validation();
        kind = validation.OptionalOneOf("kind", Kind, AuditKind.All);
        paging = validation.Paging(Page, PageSize, After);
        return validation.Errors;
    }
}

/// <summary>Query string of GET /domains/{id}/plan: page-number paging only (the plan mixes rows and orphan records).</summary>
public sealed record PlanQuery(string? Page, string? PageSize)
{
    internal IReadOnlyList<FieldError> Validate(out Paging paging)
    {
        var validation = new Validation();
        paging = validation.Paging(Page, PageSize);
        return validation.Errors;
    }
}

/// <summary>How many of each class the last completed audit found; unjudged rows and records were being changed while it ran.</summary>
public sealed record AuditCountsDto(int InSync, int Drift, int Missing, int Orphan, int Blocking, int Unmanaged, int Unjudged);

/// <summary>What the last completed audit set right: rows sent back for repair and re-creation, orphans deleted.</summary>
public sealed record AuditAppliedDto(int Repaired, int Recreated, int OrphansDeleted);

/// <summary>
/// The last audit of a domain's zone. <c>outcome</c>: null (never audited), <c>applied</c>, <c>halted</c> (at the brake:
/// nothing applied until confirmed) or <c>failed</c> (<c>lastError</c> says why; times and counts are then those of the
/// last completed audit). <c>running</c>: a worker holds the zone's audit lease now.
/// </summary>
public sealed record AuditDto(
    long DomainId, string Domain, string? Outcome, string Summary, bool Running, DateTime? StartedAt, DateTime? FinishedAt,
    long? DurationMs, int? Requests, int? RemoteRecords, int? ManagedRecords, AuditCountsDto? Counts, AuditAppliedDto? Applied,
    string? LastError, DateTime? RequestedAt, bool ConfirmRequested, DateTime? NextAuditAt, PagedList<AuditDifferenceDto>? Differences);

/// <summary>
/// One difference the last audit found: its class (<c>kind</c>), what became of it (<c>action</c>: repair, recreate, delete,
/// report, halted, skipped, imported), the row concerned and the remote record as the audit saw it (for a missing one,
/// the row's declared record), and whether it can be imported.
/// </summary>
public sealed record AuditDifferenceDto(
    long Id, string Kind, string Action, long? RecordId, string? ProviderRecordId, string? Type, string? Name, string? Content,
    int? Ttl, bool? Proxied, string? Comment, bool Importable, string? Detail, DateTime FoundAt);

/// <summary>A record as a plan shows it before or after a change.</summary>
public sealed record PlanRecordDto(string Type, string Fqdn, string? Value, int? Ttl, bool? Proxied, string? ProviderRecordId);

/// <summary>
/// One change the worker would make now: <c>action</c> is create, update, delete, remove (a row never sent: no provider
/// request), repair (drift found by the audit), recreate (missing at the provider) or orphan (deleted only with
/// DnsWorker:DeleteOrphans=true; <c>delete-orphan</c> when that is on). <c>before</c> is what the provider holds as far as
/// dns-sync knows (what it last applied, or what the audit saw), <c>after</c> what the change makes it.
/// </summary>
public sealed record PlanChangeDto(long? RecordId, string Action, PlanRecordDto? Before, PlanRecordDto? After, string? Reason);

/// <summary>The plan of a domain: changes, newest row first, then orphans; and whether the last audit is halted at the brake.</summary>
public sealed record PlanDto(long DomainId, string Domain, string? AuditOutcome, DateTime? AuditedAt, PagedList<PlanChangeDto> Changes);

/// <summary>One remote record an import took (or would take, or left out) and the row it is now.</summary>
public sealed record ImportItemDto(string ProviderRecordId, string Type, string Name, string Value, int Ttl, bool Proxied, string Result, long? RecordId, string? Reason);

/// <summary>
/// What an import did (or, with dryRun, would do): at most <see cref="ImportQueries.MaxPerRequest"/> records per request;
/// <c>remaining</c> importable records are left for the next.
/// </summary>
public sealed record ImportResultDto(bool DryRun, int Imported, int Existing, int Skipped, int Remaining, IReadOnlyList<ImportItemDto> Items);
