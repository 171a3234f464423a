using DnsSync.Api.Records;
using DnsSync.Shared.Audits;

namespace DnsSync.Api.Audits;

/// <summary>What asking for an audit came to.</summary>
internal enum AuditRequestOutcome
{
    Requested,
    DomainMissing,
    /// <summary>The domain cannot be audited: inactive, or without an active binding and key.</summary>
    NotAuditable,
    /// <summary>A confirm was sent but the last audit is not halted.</summary>
    NotHalted,
}

/// <summary>
/// The api's side of the audit: it reads what the worker's audits stored (zone_audits, zone_audit_differences) and records
/// requests for an audit and confirms of a halted one, which a worker picks up. It never calls the provider.
/// </summary>
internal sealed class AuditQueries(MySqlDataSource dataSource, RecordQueries records)
{
    /// <summary>The domain's last audit and one page of its differences, or null when the domain does not exist.</summary>
    public async Task<AuditDto?> GetAsync(long domainId, string? kind, Paging paging, CancellationToken cancellationToken)
    {
        if (await ReadStateAsync(domainId, cancellationToken) is not { } state) return null;
        return state.ToDto(state.Outcome is null && state.FinishedAt is null ? null : await DifferencesAsync(domainId, kind, paging, cancellationToken));
    }

    internal async Task<AuditState?> ReadStateAsync(long domainId, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT d.id AS domain_id, d.domain, z.outcome, z.last_error, z.started_at, z.finished_at, z.duration_ms, z.requests,
                   z.remote_records, z.managed_records, z.in_sync, z.drift, z.missing, z.orphans, z.blocking, z.unmanaged, z.unjudged,
                   z.repaired, z.recreated, z.orphans_deleted, z.requested_at, COALESCE(z.confirm_requested, 0) AS confirm_requested, z.due_at,
                   COALESCE(z.locked_until > UTC_TIMESTAMP(6), 0) AS running
            FROM domains d LEFT JOIN zone_audits z ON z.domain_id = d.id
            WHERE d.id = @DomainId
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<AuditState>(new CommandDefinition(sql, new { DomainId = domainId }, cancellationToken: cancellationToken));
    }

    private async Task<PagedList<AuditDifferenceDto>> DifferencesAsync(long domainId, string? kind, Paging paging, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT COUNT(*) FROM zone_audit_differences WHERE domain_id = @DomainId AND (@Kind IS NULL OR kind = @Kind);
            SELECT id, kind, action, record_id AS RecordId, provider_record_id AS ProviderRecordId, type, name, content, ttl, proxied, comment,
                   importable, detail, found_at AS FoundAt
            FROM zone_audit_differences
            WHERE domain_id = @DomainId AND (@Kind IS NULL OR kind = @Kind) AND (@After IS NULL OR id < @After)
            ORDER BY id DESC
            LIMIT @Take OFFSET @Skip;
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var grid = await connection.QueryMultipleAsync(new CommandDefinition(sql,
            new { DomainId = domainId, Kind = kind, paging.After, Take = paging.PageSize + 1, paging.Skip }, cancellationToken: cancellationToken));
        var total = await grid.ReadSingleAsync<long>();
        var rows = (await grid.ReadAsync<AuditDifferenceDto>()).ToList();
        var list = rows.Take(paging.PageSize).ToList();
        return new PagedList<AuditDifferenceDto>(list, total, paging.Page, paging.PageSize)
        {
            NextCursor = list.Count == 0 ? null : Paging.CursorAfter(list[^1].Id, rows.Count > paging.PageSize),
        };
    }

    /// <summary>
    /// Asks for an audit of the domain now (a request already waiting is kept); with <paramref name="confirm"/>, releases
    /// the halted last audit: the next one applies up to as many changes as the halted one found.
    /// </summary>
    public async Task<(AuditRequestOutcome Outcome, string? Problem)> RequestAsync(long domainId, bool confirm, CancellationToken cancellationToken)
    {
        if (await records.FindDomainTargetAsync(domainId, cancellationToken) is not { } domain) return (AuditRequestOutcome.DomainMissing, null);
        if (!domain.Usable) return (AuditRequestOutcome.NotAuditable, domain.Problem);
        const string request = """
            INSERT INTO zone_audits (domain_id, requested_at, updated_at) VALUES (@DomainId, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
            ON DUPLICATE KEY UPDATE requested_at = COALESCE(requested_at, UTC_TIMESTAMP(6)), updated_at = UTC_TIMESTAMP(6)
            """;
        const string confirmHalted = """
            UPDATE zone_audits
            SET confirm_requested = 1, requested_at = COALESCE(requested_at, UTC_TIMESTAMP(6)), updated_at = UTC_TIMESTAMP(6)
            WHERE domain_id = @DomainId AND outcome = 'halted'
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var changed = await connection.ExecuteAsync(new CommandDefinition(confirm ? confirmHalted : request, new { DomainId = domainId }, cancellationToken: cancellationToken));
        return (confirm && changed == 0 ? AuditRequestOutcome.NotHalted : AuditRequestOutcome.Requested, null);
    }
}
