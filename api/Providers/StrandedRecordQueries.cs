using DnsSync.Shared.Records;

namespace DnsSync.Api.Providers;

/// <summary>
/// A record a rebind left at a domain's previous zone. status: <c>kept</c> (left there; listed until deleted),
/// <c>pending</c> (the worker resolves or deletes it; a delete waits until the row is active at its new target),
/// <c>running</c>, or <c>error</c> (lastError says why, retried at nextRetryAt).
/// </summary>
/// <param name="ProviderRecordId">Null while the worker has not yet found what a create in flight at rebind time left.</param>
public sealed record StrandedRecordDto(
    long Id, long DomainId, long RecordId, string Type, string Name, string Fqdn, string Value, string ProviderZoneId, long ApiKeyId,
    string? ProviderRecordId, bool DeleteRequested, string Status, string? LastError, int RetryCount, DateTime? NextRetryAt,
    DateTime CreatedAt, DateTime UpdatedAt);

internal sealed class StrandedRecordQueries(MySqlDataSource dataSource)
{
    private const string Projection = """
        s.id, s.domain_id, s.record_id, s.type, s.name, d.domain AS zone, s.value, s.provider_zone_id, s.api_key_id,
        s.provider_record_id, s.delete_requested, s.status, s.last_error, s.retry_count, s.next_retry_at, s.created_at, s.updated_at
        """;

    /// <summary>The domain's entries at one zone, inside the bind's transaction: how many, and the first <paramref name="take"/>.</summary>
    public static async Task<(int Count, IReadOnlyList<StrandedRecordDto> First)> AtZoneAsync(MySqlConnection connection,
        MySqlTransaction transaction, long domainId, string zoneId, int take, CancellationToken cancellationToken)
    {
        const string sql = $"""
            SELECT COUNT(*) FROM stranded_records WHERE domain_id = @DomainId AND provider_zone_id = @ZoneId;
            SELECT {Projection}
            FROM stranded_records s JOIN domains d ON d.id = s.domain_id
            WHERE s.domain_id = @DomainId AND s.provider_zone_id = @ZoneId
            ORDER BY s.id
            LIMIT @Take;
            """;
        await using var grid = await connection.QueryMultipleAsync(new CommandDefinition(sql,
            new { DomainId = domainId, ZoneId = zoneId, Take = take }, transaction, cancellationToken: cancellationToken));
        var count = await grid.ReadSingleAsync<int>();
        return (count, (await grid.ReadAsync<StrandedRow>()).Select(r => r.ToDto()).ToList());
    }

    /// <returns>Null when the domain does not exist.</returns>
    public async Task<PagedList<StrandedRecordDto>?> ListAsync(long domainId, Paging paging, CancellationToken cancellationToken)
    {
        const string sql = $"""
            SELECT EXISTS (SELECT 1 FROM domains WHERE id = @DomainId);
            SELECT COUNT(*) FROM stranded_records WHERE domain_id = @DomainId;
            SELECT {Projection}
            FROM stranded_records s JOIN domains d ON d.id = s.domain_id
            WHERE s.domain_id = @DomainId AND (@After IS NULL OR s.id < @After)
            ORDER BY s.id DESC
            LIMIT @Take OFFSET @Skip;
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var grid = await connection.QueryMultipleAsync(new CommandDefinition(sql,
            new { DomainId = domainId, paging.After, Take = paging.PageSize + 1, paging.Skip }, cancellationToken: cancellationToken));
        if (await grid.ReadSingleAsync<long>() == 0) return null;
        var total = await grid.ReadSingleAsync<long>();
        var rows = (await grid.ReadAsync<StrandedRow>()).Select(r => r.ToDto()).ToList();
        var list = rows.Take(paging.PageSize).ToList();
        return new PagedList<StrandedRecordDto>(list, total, paging.Page, paging.PageSize)
        {
            NextCursor = list.Count == 0 ? null : Paging.CursorAfter(list[^1].Id, rows.Count > paging.PageSize),
        };
    }

    /// <summary>
    /// Asks the worker to delete the listed entries' records (those of this domain not being worked on right now).
    /// </summary>
    /// <returns>Null when the domain does not exist, else how many entries now wait for their delete.</returns>
    public async Task<int?> RequestDeleteAsync(long domainId, long[] ids, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT EXISTS (SELECT 1 FROM domains WHERE id = @DomainId);
            UPDATE stranded_records
            SET delete_requested = 1, status = 'pending', retry_count = 0, next_retry_at = NULL, last_error = NULL,
                updated_at = UTC_TIMESTAMP(6)
            WHERE domain_id = @DomainId AND id IN @Ids AND status <> 'running';
            SELECT ROW_COUNT();
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var grid = await connection.QueryMultipleAsync(new CommandDefinition(sql, new { DomainId = domainId, Ids = ids }, cancellationToken: cancellationToken));
        if (await grid.ReadSingleAsync<long>() == 0) return null;
        return (int)await grid.ReadSingleAsync<long>();
    }

    private sealed class StrandedRow
    {
        public long Id { get; init; }
        public long DomainId { get; init; }
        public long RecordId { get; init; }
        public string Type { get; init; } = "";
        public string Name { get; init; } = "";
        public string Zone { get; init; } = "";
        public string Value { get; init; } = "";
        public string ProviderZoneId { get; init; } = "";
        public long ApiKeyId { get; init; }
        public string? ProviderRecordId { get; init; }
        public bool DeleteRequested { get; init; }
        public string Status { get; init; } = "";
        public string? LastError { get; init; }
        public int RetryCount { get; init; }
        public DateTime? NextRetryAt { get; init; }
        public DateTime CreatedAt { get; init; }
        public DateTime UpdatedAt { get; init; }

        public StrandedRecordDto ToDto() => new(Id, DomainId, RecordId, Type, Name, RecordRules.ToFqdn(Zone, Name), Value, ProviderZoneId,
            ApiKeyId, ProviderRecordId, DeleteRequested, Status, LastError, RetryCount, NextRetryAt, CreatedAt, UpdatedAt);
    }
}
