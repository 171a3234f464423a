using DnsSync.Shared.Audits;
using DnsSync.Shared.Records;

namespace DnsSync.Api.Audits;

/// <summary>
/// What the worker would change now in a domain, change by change, from the database alone: rows whose intent is not
/// applied (created, changed or deleted through the api, or sent back by an audit), rows a halted audit would repair,
/// and the orphans the last audit reported. "Before" is what dns-sync last applied (synced_value …) or, for drift, what
/// the audit saw at the provider. Nothing is applied.
/// </summary>
internal sealed class PlanQueries(MySqlDataSource dataSource, AuditQueries audits)
{
    // Rows: anything not in sync (absent, never created, intent newer than what was applied) and what a halted audit holds
    // back. Orphans: the last audit's, not yet deleted.
    private const string Changes = """
        SELECT r.id AS record_id, NULL AS difference_id, r.type, r.name, r.value, r.ttl, r.proxied, r.status, r.desired_state,
               r.provider_record_id, r.version, r.synced_version, r.synced_value, r.synced_ttl, r.synced_proxied, r.attempt_count,
               r.last_error, r.retry_count, x.kind AS audit_kind, x.action AS audit_action, x.record_version AS audit_version
        FROM domain_dns_records r
        LEFT JOIN zone_audit_differences x ON x.domain_id = r.domain_id AND x.record_id = r.id AND x.kind IN ('drift', 'missing')
        WHERE r.domain_id = @DomainId
          AND (r.desired_state = 'absent' OR r.provider_record_id IS NULL OR r.synced_version IS NULL OR r.synced_version <> r.version
               OR x.action = 'halted')
        UNION ALL
        SELECT NULL, x.id, x.type, x.name, x.content, x.ttl, x.proxied, NULL, NULL,
               x.provider_record_id, NULL, NULL, NULL, NULL, NULL, NULL,
               x.detail, NULL, x.kind, x.action, NULL
        FROM zone_audit_differences x
        WHERE x.domain_id = @DomainId AND x.kind = 'orphan' AND x.action IN ('report', 'halted')
        """;

    /// <summary>One page of the plan, or null when the domain does not exist.</summary>
    public async Task<PlanDto?> GetAsync(long domainId, Paging paging, CancellationToken cancellationToken)
    {
        if (await audits.ReadStateAsync(domainId, cancellationToken) is not { } state) return null;
        const string sql = $"""
            SELECT COUNT(*) FROM ({Changes}) plan;
            SELECT * FROM ({Changes}) plan
            ORDER BY record_id IS NULL, record_id DESC, difference_id
            LIMIT @Take OFFSET @Skip;
            SELECT x.record_id, x.content, x.ttl, x.proxied, x.provider_record_id
            FROM zone_audit_differences x
            WHERE x.domain_id = @DomainId AND x.kind = 'drift';
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var grid = await connection.QueryMultipleAsync(new CommandDefinition(sql,
            new { DomainId = domainId, Take = paging.PageSize + 1, paging.Skip }, cancellationToken: cancellationToken));
        var total = await grid.ReadSingleAsync<long>();
        var rows = (await grid.ReadAsync<PlanRow>()).ToList();
        var seen = (await grid.ReadAsync<SeenRecord>()).ToDictionary(s => s.RecordId);
        var page = rows.Take(paging.PageSize).Select(r => r.ToChange(state.Domain, seen.GetValueOrDefault(r.RecordId ?? 0))).ToList();
        var changes = new PagedList<PlanChangeDto>(page, total, paging.Page, paging.PageSize);
        return new PlanDto(domainId, state.Domain, state.Outcome, state.FinishedAt, changes);
    }

    /// <summary>What the last audit saw at the provider for a drifted row.</summary>
    private sealed class SeenRecord
    {
        public long RecordId { get; init; }
        public string? Content { get; init; }
        public int? Ttl { get; init; }
        public bool? Proxied { get; init; }
        public string? ProviderRecordId { get; init; }
    }

    private sealed class PlanRow
    {
        public long? RecordId { get; init; }
        public long? DifferenceId { get; init; }
        public string Type { get; init; } = "";
        public string Name { get; init; } = "";
        public string? Value { get; init; }
        public int? Ttl { get; init; }
        public bool? Proxied { get; init; }
        public string? Status { get; init; }
        public string? DesiredState { get; init; }
        public string? ProviderRecordId { get; init; }
        public long? Version { get; init; }
        public long? SyncedVersion { get; init; }
        public string? SyncedValue { get; init; }
        public int? SyncedTtl { get; init; }
        public bool? SyncedProxied { get; init; }
        public int? AttemptCount { get; init; }
        public string? LastError { get; init; }
        public int? RetryCount { get; init; }
        public string? AuditKind { get; init; }
        public string? AuditAction { get; init; }
        public long? AuditVersion { get; init; }

        public PlanChangeDto ToChange(string zone, SeenRecord? seen)
        {
            if (RecordId is null)
            {
                var deleting = AuditAction == Shared.Audits.AuditAction.Halted;
                return new PlanChangeDto(null, deleting ? "delete-orphan" : "orphan", new PlanRecordDto(Type, Name, Value, Ttl, Proxied, ProviderRecordId), null,
                    deleting ? $"{LastError}; held back by the halted audit" : $"{LastError}; reported only: deleted when the worker runs with DnsWorker:DeleteOrphans=true");
            }
            var fqdn = RecordRules.ToFqdn(zone, Name);
            var declared = new PlanRecordDto(Type, fqdn, Value, Ttl, Proxied, ProviderRecordId);
            var applied = SyncedValue is null ? null : new PlanRecordDto(Type, fqdn, SyncedValue, SyncedTtl, SyncedProxied, ProviderRecordId);
            // The audit's finding still stands for this row when it was held back, or sent back at the very version it judged.
            var byAudit = AuditKind is not null && (AuditAction == Shared.Audits.AuditAction.Halted
                || (AuditVersion == Version && SyncedVersion is null && AuditAction is Shared.Audits.AuditAction.Repair or Shared.Audits.AuditAction.Recreate));
            return this switch
            {
                { DesiredState: Shared.Records.DesiredState.Absent, ProviderRecordId: null, AttemptCount: 0 } =>
                    new PlanChangeDto(RecordId, "remove", null, null, "never sent to the provider: the row is removed without a request"),
                { DesiredState: Shared.Records.DesiredState.Absent } =>
                    new PlanChangeDto(RecordId, "delete", applied ?? (ProviderRecordId is null ? null : declared), null,
                        Reason(ProviderRecordId is null ? "an earlier attempt may have created it: looked up by name first" : null)),
                _ when byAudit && AuditKind == Shared.Audits.AuditKind.Drift =>
                    new PlanChangeDto(RecordId, "repair", seen is null ? applied : new PlanRecordDto(Type, fqdn, seen.Content, seen.Ttl, seen.Proxied, seen.ProviderRecordId),
                        declared, Reason("changed at the provider by hand")),
                _ when byAudit => new PlanChangeDto(RecordId, "recreate", null, declared with { ProviderRecordId = null }, Reason("missing at the provider")),
                { ProviderRecordId: null } => new PlanChangeDto(RecordId, "create", null, declared,
                    Reason(AttemptCount > 0 ? "an earlier attempt may have created it: looked up by name first, and adopted if found" : null)),
                _ => new PlanChangeDto(RecordId, "update", applied, declared, Reason(null)),
            };
        }

        /// <summary>Why the change waits, or what else to know: the row's last error, and a stopped retry schedule.</summary>
        private string? Reason(string? note)
        {
            var parts = new List<string>(3);
            if (note is not null) parts.Add(note);
            if (Status == RecordStatus.Error && RetryCount >= RetryPolicy.MaxAttempts) parts.Add("automatic retries stopped: POST /api/v1/dns/records/retry");
            if (LastError is { Length: > 0 } error) parts.Add(error);
            return parts.Count == 0 ? null : string.Join("; ", parts);
        }
    }
}
