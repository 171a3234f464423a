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

    /// <summary>
    /// Records per status of each domain, counted in the (domain_id, status) index alone; only pending rows are read
    /// for their age. A domain without records is missing from the answer.
    /// </summary>
    public async Task<IReadOnlyDictionary<long, DomainRecordCounts>> RecordCountsAsync(IReadOnlyCollection<long> domainIds, CancellationToken cancellationToken)
    {
        if (domainIds.Count == 0) return new Dictionary<long, DomainRecordCounts>();
        const string sql = """
            SELECT domain_id, status, COUNT(*) AS count FROM domain_dns_records WHERE domain_id IN @Ids GROUP BY domain_id, status;
            SELECT domain_id, MIN(updated_at) AS since FROM domain_dns_records WHERE domain_id IN @Ids AND status = 'pending' GROUP BY domain_id;
            SELECT domain_id, finished_at, outcome, COALESCE(drift, 0), COALESCE(missing, 0), COALESCE(orphans, 0), COALESCE(blocking, 0)
            FROM zone_audits WHERE domain_id IN @Ids AND finished_at IS NOT NULL AND outcome IS NOT NULL;
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var grid = await connection.QueryMultipleAsync(new CommandDefinition(sql, new { Ids = domainIds }, cancellationToken: cancellationToken));
        var counts = (await grid.ReadAsync<(long DomainId, string Status, long Count)>()).ToLookup(c => c.DomainId);
        var oldest = (await grid.ReadAsync<(long DomainId, DateTime Since)>()).ToDictionary(p => p.DomainId, p => p.Since);
        var audits = (await grid.ReadAsync<(long DomainId, DateTime FinishedAt, string Outcome, int Drift, int Missing, int Orphans, int Blocking)>())
            .ToDictionary(a => a.DomainId, a => new DomainLastAudit(DateTime.SpecifyKind(a.FinishedAt, DateTimeKind.Utc), a.Outcome, a.Drift, a.Missing, a.Orphans, a.Blocking));
        return counts.Select(g => g.Key).Union(audits.Keys).ToDictionary(id => id, id =>
        {
            long Of(string status) => counts[id].Where(c => c.Status == status).Sum(c => c.Count);
            return new DomainRecordCounts(Of("pending"), Of("running"), Of("active"), Of("error"),
                oldest.TryGetValue(id, out var since) ? since : null, audits.GetValueOrDefault(id));
        });
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
