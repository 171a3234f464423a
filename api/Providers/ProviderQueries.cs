namespace DnsSync.Api.Providers;

internal sealed class ProviderQueries(MySqlDataSource dataSource)
{
    private const string Projection = """
        p.id, p.domain_id, d.domain, p.provider, p.provider_zone_id, p.api_key_id, p.status, p.created_at, p.updated_at
        """;

    public async Task<(bool DomainExists, bool KeyExists)> ExistAsync(long domainId, long apiKeyId, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT EXISTS (SELECT 1 FROM domains WHERE id = @DomainId) AS DomainExists,
                   EXISTS (SELECT 1 FROM api_keys WHERE id = @ApiKeyId) AS KeyExists
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleAsync<ExistsRow>(
            new CommandDefinition(sql, new { DomainId = domainId, ApiKeyId = apiKeyId }, cancellationToken: cancellationToken));
        return (row.DomainExists == 1, row.KeyExists == 1);
    }

    // Not named BindAsync: minimal APIs would take a method of that name for a parameter binder of this service.
    /// <summary>
    /// Creates the domain's binding or replaces it (unique domain_id); either way it ends active. Replacing it with
    /// another zone or API key re-queues the domain's rows for the new target in the same transaction
    /// (<see cref="Rebinding"/>), so no row is created, changed or written back under the old one meanwhile.
    /// </summary>
    public async Task<ProviderBindingDto> SetBindingAsync(
        long domainId, string provider, string zoneId, long apiKeyId, bool moveRecords, CancellationToken cancellationToken)
    {
        const string current = """
            SELECT provider_zone_id AS ZoneId, api_key_id AS ApiKeyId
            FROM domain_dns_providers WHERE domain_id = @DomainId FOR UPDATE
            """;
        const string upsert = $"""
            INSERT INTO domain_dns_providers (domain_id, provider, provider_zone_id, api_key_id, status, created_at, updated_at)
            VALUES (@DomainId, @Provider, @ZoneId, @ApiKeyId, 'active', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
            ON DUPLICATE KEY UPDATE
                provider = @Provider, provider_zone_id = @ZoneId, api_key_id = @ApiKeyId,
                status = 'active', updated_at = UTC_TIMESTAMP(6);
            SELECT {Projection}
            FROM domain_dns_providers p JOIN domains d ON d.id = p.domain_id
            WHERE p.domain_id = @DomainId;
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // REPEATABLE READ: the rebind's locking read of the domain's rows also locks the gap after them, so no row is
        // created for the domain until the new binding is committed.
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        var previous = await connection.QuerySingleOrDefaultAsync<Rebinding.Target>(
            new CommandDefinition(current, new { DomainId = domainId }, transaction, cancellationToken: cancellationToken));
        var target = new Rebinding.Target { ZoneId = zoneId, ApiKeyId = apiKeyId };
        var rebind = previous is null ? null : await Rebinding.RequeueAsync(connection, transaction, domainId, previous, target, moveRecords, cancellationToken);
        var binding = (await connection.QueryAsync<ProviderBindingRow>(new CommandDefinition(upsert,
            new { DomainId = domainId, Provider = provider, ZoneId = zoneId, ApiKeyId = apiKeyId }, transaction, cancellationToken: cancellationToken)))
            .Single().ToDto();
        // Past this point the answer is decided: commit even if the client has gone.
        await transaction.CommitAsync(CancellationToken.None);
        return binding with { Rebind = rebind };
    }

    public async Task<PagedList<ProviderBindingDto>> ListAsync(long? domainId, Paging paging, CancellationToken cancellationToken)
    {
        const string sql = $"""
            SELECT COUNT(*) FROM domain_dns_providers p WHERE @DomainId IS NULL OR p.domain_id = @DomainId;
            SELECT {Projection}
            FROM domain_dns_providers p JOIN domains d ON d.id = p.domain_id
            WHERE (@DomainId IS NULL OR p.domain_id = @DomainId) AND (@After IS NULL OR p.id < @After)
            ORDER BY p.id DESC
            LIMIT @Take OFFSET @Skip;
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var grid = await connection.QueryMultipleAsync(new CommandDefinition(sql,
            new { DomainId = domainId, paging.After, Take = paging.PageSize + 1, paging.Skip }, cancellationToken: cancellationToken));
        var total = await grid.ReadSingleAsync<long>();
        var rows = (await grid.ReadAsync<ProviderBindingRow>()).Select(r => r.ToDto()).ToList();
        var list = rows.Take(paging.PageSize).ToList();
        return new PagedList<ProviderBindingDto>(list, total, paging.Page, paging.PageSize)
        {
            NextCursor = list.Count == 0 ? null : Paging.CursorAfter(list[^1].Id, rows.Count > paging.PageSize),
        };
    }

    private sealed class ExistsRow
    {
        public long DomainExists { get; init; }
        public long KeyExists { get; init; }
    }

    private sealed class ProviderBindingRow
    {
        public long Id { get; init; }
        public long DomainId { get; init; }
        public string Domain { get; init; } = "";
        public string Provider { get; init; } = "";
        public string ProviderZoneId { get; init; } = "";
        public long ApiKeyId { get; init; }
        public string Status { get; init; } = "";
        public DateTime CreatedAt { get; init; }
        public DateTime UpdatedAt { get; init; }

        public ProviderBindingDto ToDto() =>
            new(Id, DomainId, Domain, Provider, ProviderZoneId, ApiKeyId, Status, CreatedAt, UpdatedAt);
    }
}
