using System.Security.Cryptography;
using System.Text;
using DnsSync.Shared.Records;

namespace DnsSync.Api.Records;

/// <summary>The SQL of the record endpoints. Every write sets updated_at (and created_at) to UTC explicitly.</summary>
internal sealed class RecordQueries(MySqlDataSource dataSource, RecordTotals? totals = null)
{
    // The worker tests build this class with a data source alone; the api passes its shared totals cache.
    private readonly RecordTotals _totals = totals ?? new RecordTotals(TimeProvider.System);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, string> _zones = new();

    // Every record read joins its domain for the fqdn; Dapper splits the row at "domain".
    internal const string Projection = """
        r.id, r.domain_id, r.type, r.name, r.value, r.ttl, r.proxied, r.status, r.desired_state,
        r.provider_record_id, r.last_error, r.retry_count, r.next_retry_at, r.owner_type, r.owner_id,
        r.version, r.attempt_count, r.locked_by, r.locked_until, r.last_synced_at, r.created_at, r.updated_at,
        d.domain
        """;

    public async Task<DomainTarget?> FindDomainTargetAsync(long domainId, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT d.id, d.domain, d.status, p.status AS BindingStatus, k.status AS KeyStatus
            FROM domains d
            LEFT JOIN domain_dns_providers p ON p.domain_id = d.id
            LEFT JOIN api_keys k ON k.id = p.api_key_id
            WHERE d.id = @DomainId
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<DomainTarget>(
            new CommandDefinition(sql, new { DomainId = domainId }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// The zone name of a domain, cached: a domain's name never changes and the API never deletes domains, so
    /// creates need no extra round trip for it. Whether the domain may take records is checked on every create.
    /// </summary>
    public async Task<string?> FindZoneAsync(long domainId, CancellationToken cancellationToken)
    {
        if (_zones.TryGetValue(domainId, out var cached)) return cached;
        const string sql = "SELECT domain FROM domains WHERE id = @DomainId";
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var zone = await connection.QuerySingleOrDefaultAsync<string>(
            new CommandDefinition(sql, new { DomainId = domainId }, cancellationToken: cancellationToken));
        if (zone is not null) _zones[domainId] = zone;
        return zone;
    }

    /// <summary>Zone names of the given domains that exist (cached like <see cref="FindZoneAsync"/>).</summary>
    public async Task<IReadOnlyDictionary<long, string>> FindZonesAsync(long[] domainIds, CancellationToken cancellationToken)
    {
        var zones = new Dictionary<long, string>();
        var unknown = new List<long>();
        foreach (var id in domainIds)
            if (_zones.TryGetValue(id, out var zone)) zones[id] = zone;
            else unknown.Add(id);
        if (unknown.Count == 0) return zones;
        const string sql = "SELECT id, domain FROM domains WHERE id IN @Ids";
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        foreach (var (id, domain) in await connection.QueryAsync<(long, string)>(new CommandDefinition(sql, new { Ids = unknown }, cancellationToken: cancellationToken)))
            zones[id] = _zones[id] = domain;
        return zones;
    }

    public async Task<RecordDto?> GetAsync(long id, CancellationToken cancellationToken)
    {
        const string sql = $"""
            SELECT {Projection}
            FROM domain_dns_records r JOIN domains d ON d.id = r.domain_id
            WHERE r.id = @Id
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await QueryRecordsAsync(connection, new CommandDefinition(sql, new { Id = id }, cancellationToken: cancellationToken)))
            .SingleOrDefault();
    }

    // The create batch is a constant of the class, not of CreateAsync, so the benchmarks can send exactly this
    // SQL straight to the database and split the api's cost into database and process (tests/Benchmarks).
    // One INSERT … SELECT checks the domain (its join yields no row unless domain, binding and key are active) and
    // the clash (NOT EXISTS) and inserts. It runs in READ COMMITTED (SET TRANSACTION applies to the next transaction
    // only, the INSERT): its reads are then consistent reads that take no InnoDB locks, so creates of different names
    // never meet in a gap lock, and each sees every row committed before it.
    internal const string CreateSql = """
        SET TRANSACTION ISOLATION LEVEL READ COMMITTED;
        SET @dns_locked = IF(@LockName IS NULL, 1, GET_LOCK(@LockName, 5)), @dns_now = UTC_TIMESTAMP(6);
        INSERT INTO domain_dns_records
            (domain_id, type, name, value, ttl, proxied, status, desired_state, owner_type, owner_id, created_at, updated_at)
        SELECT @DomainId, @Type, @Name, @Value, @Ttl, @Proxied, 'pending', 'present', @OwnerType, @OwnerId, @dns_now, @dns_now
        FROM domains d
        JOIN domain_dns_providers p ON p.domain_id = d.id AND p.status = 'active'
        JOIN api_keys k ON k.id = p.api_key_id AND k.status = 'active'
        WHERE d.id = @DomainId AND d.status = 'active' AND @dns_locked = 1
          AND NOT EXISTS (
              SELECT 1 FROM domain_dns_records r
              WHERE r.domain_id = @DomainId AND r.name = @Name AND r.desired_state = 'present'
                AND ((r.type = @Type AND r.value = @Value) OR (@LockName IS NOT NULL AND (r.type = 'CNAME'
                     OR (@Type = 'CNAME' AND r.type IN ('A', 'AAAA'))))));
        SELECT @dns_locked AS Locked, ROW_COUNT() AS Inserted, LAST_INSERT_ID() AS Id, @dns_now AS Now,
               IF(@LockName IS NULL, 0, RELEASE_LOCK(@LockName)) AS Released;
        """;

    /// <summary>The rows that stopped a create (identical or CNAME-conflicting), read only when it did not insert.</summary>
    private const string ClashSql = $"""
        SELECT {Projection}
        FROM domain_dns_records r JOIN domains d ON d.id = r.domain_id
        WHERE r.domain_id = @DomainId AND r.name = @Name AND r.desired_state = 'present'
          AND ((r.type = @Type AND r.value = @Value) OR (@LockName IS NOT NULL AND (r.type = 'CNAME'
               OR (@Type = 'CNAME' AND r.type IN ('A', 'AAAA')))))
        ORDER BY r.id
        """;

    /// <summary>
    /// Creates a present record in one round trip. A, AAAA and CNAME creates hold a named lock on (domain, name)
    /// while the same batch checks the domain, checks CNAME exclusivity and inserts, so a CNAME and an A racing for
    /// one name cannot both win; other names of the domain are not serialised. The reads are plain (non-locking)
    /// reads, so no InnoDB gap locks are taken. Identical present rows are caught by the unique present_key
    /// either way (TXT creates rely on it alone).
    /// </summary>
    public async Task<CreateOutcome> CreateAsync(NewRecord record, string zone, CancellationToken cancellationToken)
    {
        // Success costs one round trip and no read-back: the new row is known but for its id and timestamps.
        // Rows are read back only when the insert did not happen (identical or conflicting records).
        var lockName = RecordRules.IsProxiable(record.Type) ? LockName(record.DomainId, record.Name) : null;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var parameters = new
            {
                record.DomainId, record.Type, record.Name, record.Value, record.Ttl, record.Proxied,
                record.OwnerType, record.OwnerId, LockName = lockName,
            };
            CreateFlags flags;
            await using (var grid = await connection.QueryMultipleAsync(new CommandDefinition(CreateSql, parameters, cancellationToken: cancellationToken)))
            {
                flags = await grid.ReadSingleAsync<CreateFlags>();
            }
            if (flags.Locked != 1) return new CreateOutcome.Busy();
            if (flags.Inserted == 1)
                return new CreateOutcome.Created(new RecordDto(
                    flags.Id, record.DomainId, record.Type, record.Name, RecordRules.ToFqdn(zone, record.Name), record.Value, record.Ttl,
                    record.Proxied, RecordStatus.Pending, DesiredState.Present, null, null, 0, null, record.OwnerType, record.OwnerId,
                    1, null, flags.Now, flags.Now));

            // Not inserted: read what stopped it (after the lock is released; a row gone meanwhile reads as "retry").
            var rows = await QueryRecordsAsync(connection, new CommandDefinition(ClashSql, parameters, cancellationToken: cancellationToken));
            var identical = rows.FirstOrDefault(r => r.Type == record.Type && r.Value == record.Value);
            if (identical is not null) return SameOrOtherOwner(identical, record);
            if (rows.FirstOrDefault() is { } clash)
                return new CreateOutcome.Conflict(
                    $"{(record.Type == "CNAME" ? "a CNAME" : $"an {record.Type} record")} cannot share the name '{record.Name}' with "
                    + $"the present {clash.Type} record {clash.Id}: a CNAME must be the only A/AAAA/CNAME record at its name",
                    clash.Id);
            // Nothing stopped it at its name, so the domain did (or a conflicting row went away meanwhile).
            return await FindDomainTargetAsync(record.DomainId, cancellationToken) is { Usable: true }
                ? new CreateOutcome.Conflict("a conflicting record changed while this one was being created: retry", 0)
                : new CreateOutcome.DomainNotUsable();
        }
        catch (MySqlException ex)
        {
            // The batch stopped at the failing statement, so the lock may still be held: release it before the
            // connection goes back to the pool, whatever the error.
            if (lockName is not null) await TryReleaseAsync(connection, lockName);
            if (ex.ErrorCode != MySqlErrorCode.DuplicateKeyEntry) throw;

            // An identical row appeared between the check and the insert (a concurrent TXT create, or an update
            // that changed a value to this one).
            var existing = await FindPresentAsync(connection, record, cancellationToken);
            return existing is null
                ? new CreateOutcome.Conflict("an identical record changed while it was being created: retry", 0)
                : SameOrOtherOwner(existing, record);
        }
    }

    /// <summary>Changes the given fields of a present record, bumping version and resetting retry state.</summary>
    /// <returns>The record after the change (its desired state tells whether the change applied), or null if unknown.</returns>
    public async Task<RecordDto?> UpdateAsync(long id, string? value, int? ttl, bool? proxied, CancellationToken cancellationToken) =>
        (await UpdateAsync(id, value, ttl, proxied, null, cancellationToken)).Record;

    /// <summary>
    /// Changes the given fields of a present record at <paramref name="expectedVersion"/> (any version when null), bumping
    /// version and resetting retry state. Fields not given stay as stored (COALESCE), so concurrent updates of different
    /// fields do not undo each other. A row a worker holds keeps 'running' and its lease; the worker's version-conditional
    /// write-back notices.
    /// </summary>
    public async Task<ChangeResult> UpdateAsync(long id, string? value, int? ttl, bool? proxied, long? expectedVersion, CancellationToken cancellationToken)
    {
        const string sql = $"""
            UPDATE domain_dns_records
            SET value = COALESCE(@Value, value), ttl = COALESCE(@Ttl, ttl), proxied = COALESCE(@Proxied, proxied),
                version = version + 1, retry_count = 0, next_retry_at = NULL, last_error = NULL,
                status = IF(status = 'running', 'running', 'pending'), updated_at = UTC_TIMESTAMP(6)
            WHERE id = @Id AND desired_state = 'present' AND (@Version IS NULL OR version = @Version);
            SELECT ROW_COUNT();
            SELECT {Projection}
            FROM domain_dns_records r JOIN domains d ON d.id = r.domain_id
            WHERE r.id = @Id;
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            return await ChangeAsync(connection, new CommandDefinition(sql,
                new { Id = id, Value = value, Ttl = ttl, Proxied = proxied, Version = expectedVersion }, cancellationToken: cancellationToken),
                expectedVersion, r => r.DesiredState == DesiredState.Present);
        }
        catch (MySqlException ex) when (ex.ErrorCode == MySqlErrorCode.DuplicateKeyEntry && value is not null)
        {
            var current = await GetAsync(id, cancellationToken);
            var clash = current is null ? null : await FindPresentIdAsync(current.DomainId, current.Type, current.Name, value, cancellationToken);
            return new ChangeResult(ChangeOutcome.Duplicate, current, clash);
        }
    }

    public async Task<long?> FindPresentIdAsync(long domainId, string type, string name, string value, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT id FROM domain_dns_records
            WHERE domain_id = @DomainId AND name = @Name AND type = @Type AND value = @Value AND desired_state = 'present'
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<long?>(new CommandDefinition(
            sql, new { DomainId = domainId, Type = type, Name = name, Value = value }, cancellationToken: cancellationToken));
    }

    /// <summary>Marks present records absent; the worker deletes them at the provider, then the row.</summary>
    public async Task<int> MarkAbsentAsync(long[] ids, CancellationToken cancellationToken)
    {
        const string sql = """
            UPDATE domain_dns_records
            SET desired_state = 'absent', version = version + 1,
                status = IF(status = 'running', 'running', 'pending'),
                retry_count = 0, next_retry_at = NULL, last_error = NULL, updated_at = UTC_TIMESTAMP(6)
            WHERE id IN @Ids AND desired_state = 'present'
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(sql, new { Ids = ids }, cancellationToken: cancellationToken));
    }

    /// <summary>Marks one present record absent if it is at <paramref name="expectedVersion"/>.</summary>
    public async Task<ChangeResult> MarkAbsentAsync(long id, long expectedVersion, CancellationToken cancellationToken)
    {
        const string sql = $"""
            UPDATE domain_dns_records
            SET desired_state = 'absent', version = version + 1,
                status = IF(status = 'running', 'running', 'pending'),
                retry_count = 0, next_retry_at = NULL, last_error = NULL, updated_at = UTC_TIMESTAMP(6)
            WHERE id = @Id AND desired_state = 'present' AND version = @Version;
            SELECT ROW_COUNT();
            SELECT {Projection}
            FROM domain_dns_records r JOIN domains d ON d.id = r.domain_id
            WHERE r.id = @Id;
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await ChangeAsync(connection, new CommandDefinition(sql, new { Id = id, Version = expectedVersion }, cancellationToken: cancellationToken),
            expectedVersion, r => r.DesiredState == DesiredState.Present);
    }

    /// <summary>Puts a record in error back to pending with a fresh retry budget; last_error stays until the next outcome.</summary>
    /// <returns>Whether it was in error, and the record as it is now (null if unknown).</returns>
    public async Task<(bool Retried, RecordDto? Record)> RetryAsync(long id, CancellationToken cancellationToken)
    {
        var result = await RetryAsync(id, null, cancellationToken);
        return (result.Outcome == ChangeOutcome.Applied, result.Record);
    }

    /// <summary>As <see cref="RetryAsync(long, CancellationToken)"/>, only at <paramref name="expectedVersion"/> when given. Retry is no change of intent: the version stays.</summary>
    public async Task<ChangeResult> RetryAsync(long id, long? expectedVersion, CancellationToken cancellationToken)
    {
        const string sql = $"""
            UPDATE domain_dns_records
            SET status = 'pending', retry_count = 0, next_retry_at = NULL, updated_at = UTC_TIMESTAMP(6)
            WHERE id = @Id AND status = 'error' AND (@Version IS NULL OR version = @Version);
            SELECT ROW_COUNT();
            SELECT {Projection}
            FROM domain_dns_records r JOIN domains d ON d.id = r.domain_id
            WHERE r.id = @Id;
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await ChangeAsync(connection, new CommandDefinition(sql, new { Id = id, Version = expectedVersion }, cancellationToken: cancellationToken),
            expectedVersion, r => r.Status == RecordStatus.Error);
    }

    /// <summary>
    /// One page, newest first: <c>page</c> skips, <c>after</c> seeks below a cursor (the id of the last row of the page
    /// before), so deep pages cost what the first does. One row more than the page is read to know whether a next
    /// page exists. The total comes from <see cref="RecordTotals"/>.
    /// </summary>
    public async Task<PagedList<RecordDto>> ListAsync(RecordFilter filter, CancellationToken cancellationToken)
    {
        var (condition, parameters) = Where(filter);
        // STRAIGHT_JOIN: records drive the join, read newest first through the index of the filter (or the primary
        // key) and stopped by LIMIT; left to itself the optimizer may start from the small domains table and sort every
        // matching record (0.6 s for an unfiltered page of 300,000 rows).
        var sql = $"""
            SELECT {Projection}
            FROM domain_dns_records r STRAIGHT_JOIN domains d ON d.id = r.domain_id
            {condition}{(filter.Paging.After is null ? "" : (condition.Length == 0 ? "WHERE" : " AND") + " r.id < @After")}
            ORDER BY r.id DESC
            LIMIT @Take OFFSET @Skip
            """;
        parameters.Add("After", filter.Paging.After);
        parameters.Add("Take", filter.Paging.PageSize + 1);
        parameters.Add("Skip", filter.Paging.Skip);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await QueryRecordsAsync(connection, new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
        var more = rows.Count > filter.Paging.PageSize;
        var page = more ? rows.Take(filter.Paging.PageSize).ToList() : rows;
        var (total, exact) = await _totals.CountAsync(connection, condition, parameters, cancellationToken);
        return new PagedList<RecordDto>(page, total, filter.Paging.Page, filter.Paging.PageSize)
        {
            NextCursor = page.Count == 0 ? null : Paging.CursorAfter(page[^1].Id, more),
            TotalExact = exact,
        };
    }

    /// <summary>Each filter adds a fixed fragment; values are always parameters.</summary>
    private static (string Condition, DynamicParameters Parameters) Where(RecordFilter filter)
    {
        var where = new List<string>();
        var parameters = new DynamicParameters();
        void Add(string column, string name, object? value)
        {
            if (value is null) return;
            where.Add($"r.{column} = @{name}");
            parameters.Add(name, value);
        }
        Add("domain_id", "DomainId", filter.DomainId);
        Add("name", "Name", filter.Name);
        Add("type", "Type", filter.Type);
        Add("owner_type", "OwnerType", filter.OwnerType);
        Add("owner_id", "OwnerId", filter.OwnerId);
        Add("status", "Status", filter.Status);
        Add("desired_state", "DesiredState", filter.DesiredState);
        return (where.Count == 0 ? "" : "WHERE " + string.Join(" AND ", where), parameters);
    }

    /// <summary>Runs a change batch (statement; ROW_COUNT; the record) and says what it came to.</summary>
    private static async Task<ChangeResult> ChangeAsync(MySqlConnection connection, CommandDefinition command, long? expectedVersion,
        Func<RecordDto, bool> inRightState)
    {
        await using var grid = await connection.QueryMultipleAsync(command);
        var changed = await grid.ReadSingleAsync<long>();
        var record = ReadRecords(grid).SingleOrDefault();
        var outcome = record switch
        {
            null => ChangeOutcome.NotFound,
            _ when changed > 0 => ChangeOutcome.Applied,
            _ when expectedVersion is not null && record.Version != expectedVersion => ChangeOutcome.Stale,
            _ when !inRightState(record) => ChangeOutcome.WrongState,
            // Changed meanwhile by someone else between the statement and the read: the version tells.
            _ => ChangeOutcome.Stale,
        };
        return new ChangeResult(outcome, record);
    }

    /// <summary>
    /// GET_LOCK names are limited to 64 characters: short names stay readable, long ones are hashed.
    /// </summary>
    internal static string LockName(long domainId, string name)
    {
        var plain = $"dns-sync:{domainId}:{name}";
        return plain.Length <= 64
            ? plain
            : $"dns-sync:{domainId}:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..32]}";
    }

    private sealed class CreateFlags
    {
        public long? Locked { get; init; }
        public long Inserted { get; init; }
        public long Id { get; init; }
        // A session variable carries no column type, so its kind is set here: every time in the schema is UTC.
        private readonly DateTime _now;
        public DateTime Now { get => _now; init => _now = DateTime.SpecifyKind(value, DateTimeKind.Utc); }
    }

    private static CreateOutcome SameOrOtherOwner(RecordDto existing, NewRecord record) =>
        existing.OwnerType == record.OwnerType && existing.OwnerId == record.OwnerId
            ? new CreateOutcome.Existing(existing)
            : new CreateOutcome.Conflict(
                $"an identical {record.Type} record '{record.Name}' → '{Validation.Shorten(record.Value)}' already exists as record {existing.Id} "
                + $"of another owner ({existing.OwnerType} {existing.OwnerId})", existing.Id);

    private static async Task TryReleaseAsync(MySqlConnection connection, string lockName)
    {
        if (connection.State != System.Data.ConnectionState.Open) return;
        try
        {
            await connection.ExecuteAsync(new CommandDefinition("DO RELEASE_LOCK(@LockName)", new { LockName = lockName }));
        }
        catch (MySqlException)
        {
            // The connection is broken; the server releases its locks when the session ends.
        }
    }

    private static async Task<RecordDto?> FindPresentAsync(MySqlConnection connection, NewRecord record, CancellationToken cancellationToken)
    {
        const string sql = $"""
            SELECT {Projection}
            FROM domain_dns_records r JOIN domains d ON d.id = r.domain_id
            WHERE r.domain_id = @DomainId AND r.name = @Name AND r.type = @Type AND r.value = @Value AND r.desired_state = 'present'
            """;
        return (await QueryRecordsAsync(connection, new CommandDefinition(sql,
            new { record.DomainId, record.Name, record.Type, record.Value }, cancellationToken: cancellationToken))).SingleOrDefault();
    }

    internal static async Task<IReadOnlyList<RecordDto>> QueryRecordsAsync(MySqlConnection connection, CommandDefinition command) =>
        (await connection.QueryAsync<DnsRecordRow, string, RecordDto>(command, RecordDto.From, splitOn: "domain")).ToList();

    private static List<RecordDto> ReadRecords(SqlMapper.GridReader grid) =>
        grid.Read<DnsRecordRow, string, RecordDto>(RecordDto.From, splitOn: "domain").ToList();
}
