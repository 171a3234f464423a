namespace DnsSync.Api.Domains;

internal sealed class DomainQueries(MySqlDataSource dataSource)
{
    private const string Projection = """
        d.id, d.domain, d.status, d.created_at, d.updated_at,
        p.id AS binding_id, p.provider, p.provider_zone_id, p.api_key_id, p.status AS binding_status
        """;

    /// <returns>The new domain, or null when the name exists already.</returns>
    public async Task<DomainDto?> CreateAsync(string domain, string status, CancellationToken cancellationToken)
    {
        const string sql = $"""
            INSERT INTO domains (domain, status, created_at, updated_at) VALUES (@Domain, @Status, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6));
            SELECT {Projection}
            FROM domains d LEFT JOIN domain_dns_providers p ON p.domain_id = d.id
            WHERE d.id = LAST_INSERT_ID();
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var rows = await connection.QueryAsync<DomainRow>(new CommandDefinition(sql, new { Domain = domain, Status = status }, cancellationToken: cancellationToken));
            return rows.Single().ToDto();
        }
        catch (MySqlException ex) when (ex.ErrorCode == MySqlErrorCode.DuplicateKeyEntry)
        {
            return null;
        }
    }

    public async Task<DomainDto?> GetAsync(long id, CancellationToken cancellationToken)
    {
        const string sql = $"""
            SELECT {Projection}
            FROM domains d LEFT JOIN domain_dns_providers p ON p.domain_id = d.id
            WHERE d.id = @Id
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<DomainRow>(new CommandDefinition(sql, new { Id = id }, cancellationToken: cancellationToken));
        return row?.ToDto();
    }

    public async Task<PagedList<DomainDto>> ListAsync(Paging paging, CancellationToken cancellationToken)
    {
        const string sql = $"""
            SELECT COUNT(*) FROM domains;
            SELECT {Projection}
            FROM domains d LEFT JOIN domain_dns_providers p ON p.domain_id = d.id
            WHERE @After IS NULL OR d.id < @After
            ORDER BY d.id DESC
            LIMIT @Take OFFSET @Skip;
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var grid = await connection.QueryMultipleAsync(new CommandDefinition(sql,
            new { paging.After, Take = paging.PageSize + 1, paging.Skip }, cancellationToken: cancellationToken));
        var total = await grid.ReadSingleAsync<long>();
        var rows = (await grid.ReadAsync<DomainRow>()).Select(r => r.ToDto()).ToList();
        var list = rows.Take(paging.PageSize).ToList();
        return new PagedList<DomainDto>(list, total, paging.Page, paging.PageSize)
        {
            NextCursor = list.Count == 0 ? null : Paging.CursorAfter(list[^1].Id, rows.Count > paging.PageSize),
        };
    }

    private sealed class DomainRow
    {
        public long Id { get; init; }
        public string Domain { get; init; } = "";
        public string Status { get; init; } = "";
        public DateTime CreatedAt { get; init; }
        public DateTime UpdatedAt { get; init; }
        public long? BindingId { get; init; }
        public string? Provider { get; init; }
        public string? ProviderZoneId { get; init; }
        public long? ApiKeyId { get; init; }
        public string? BindingStatus { get; init; }

        public DomainDto ToDto() => new(Id, Domain, Status,
            BindingId is { } bindingId ? new DomainBindingDto(bindingId, Provider!, ProviderZoneId!, ApiKeyId!.Value, BindingStatus!) : null,
            CreatedAt, UpdatedAt);
    }
}
