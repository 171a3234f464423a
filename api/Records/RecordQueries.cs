using System.Security.Cryptography;
using System.Text;
using DnsSync.Shared.Records;

namespace DnsSync.Api.Records;

/// <summary>The SQL of the record endpoints. Every write sets updated_at (and created_at) to UTC explicitly.</summary>
internal sealed class RecordQueries(MySqlDataSource dataSource)
{
    // Every record read joins its domain for the fqdn; Dapper splits the row at "domain".
    private const string Projection = """
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

    public async Task<string?> FindZoneAsync(long domainId, CancellationToken cancellationToken)
    {
        const string sql = "SELECT domain FROM domains WHERE id = @DomainId";
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<string>(
            new CommandDefinition(sql, new { DomainId = domainId }, cancellationToken: cancellationToken));
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

    /// <summary>
    /// Creates a present record. A, AAAA and CNAME creates hold a named lock on (domain, name) while they check
    /// CNAME exclusivity and insert, so a CNAME and an A racing for one name cannot both win; other names of the
    /// same domain are not serialised. Identical present rows are caught by the unique present_key either way.
    /// </summary>
    public async Task<CreateOutcome> CreateAsync(NewRecord record, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var lockName = RecordRules.IsProxiable(record.Type) ? LockName(record.DomainId, record.Name) : null;
        var lockHeld = false;
        try
        {
            if (lockName is not null)
            {
                const string lockAndCheck = $"""
                    SELECT GET_LOCK(@LockName, 5);
                    SELECT {Projection}
                    FROM domain_dns_records r JOIN domains d ON d.id = r.domain_id
                    WHERE r.domain_id = @DomainId AND r.name = @Name AND r.desired_state = 'present'
                      AND (r.type = 'CNAME'
                           OR (@Type = 'CNAME' AND r.type IN ('A', 'AAAA'))
                           OR (r.type = @Type AND r.value = @Value))
                    ORDER BY r.id
                    """;
                await using var grid = await connection.QueryMultipleAsync(new CommandDefinition(
                    lockAndCheck, new { LockName = lockName, record.DomainId, record.Name, record.Type, record.Value },
                    cancellationToken: cancellationToken));
                lockHeld = await grid.ReadSingleAsync<long?>() == 1;
                var found = ReadRecords(grid);
                if (!lockHeld) return new CreateOutcome.Busy();
                var identical = found.FirstOrDefault(r => r.Type == record.Type && r.Value == record.Value);
                if (identical is not null) return SameOrOtherOwner(identical, record);
                if (found.FirstOrDefault() is { } clash)
                    return new CreateOutcome.Conflict(
                        $"{(record.Type == "CNAME" ? "a CNAME" : $"an {record.Type} record")} cannot share the name '{record.Name}' with "
                        + $"the present {clash.Type} record {clash.Id}: a CNAME must be the only A/AAAA/CNAME record at its name",
                        clash.Id);
            }

            // The lock (if any) is released in the same round trip as the insert.
            const string insert = $"""
                INSERT INTO domain_dns_records
                    (domain_id, type, name, value, ttl, proxied, status, desired_state, owner_type, owner_id, created_at, updated_at)
                VALUES
                    (@DomainId, @Type, @Name, @Value, @Ttl, @Proxied, 'pending', 'present', @OwnerType, @OwnerId, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6));
                SELECT {Projection}
                FROM domain_dns_records r JOIN domains d ON d.id = r.domain_id
                WHERE r.id = LAST_INSERT_ID();
                DO IF(@LockName IS NULL, 0, RELEASE_LOCK(@LockName));
                """;
            var created = (await QueryRecordsAsync(connection, new CommandDefinition(insert, new
            {
                record.DomainId, record.Type, record.Name, record.Value, record.Ttl, record.Proxied,
                record.OwnerType, record.OwnerId, LockName = lockName,
            }, cancellationToken: cancellationToken))).Single();
            lockHeld = false;
            return new CreateOutcome.Created(created);
        }
        catch (MySqlException ex) when (ex.ErrorCode == MySqlErrorCode.DuplicateKeyEntry)
        {
            await ReleaseAsync(connection, lockName, lockHeld, cancellationToken);
            lockHeld = false;
            var existing = await FindPresentAsync(connection, record, cancellationToken);
            return existing is null
                ? new CreateOutcome.Conflict("an identical record changed while it was being created: retry", 0)
                : SameOrOtherOwner(existing, record);
        }
        finally
        {
            if (lockHeld) await ReleaseAsync(connection, lockName, lockHeld, CancellationToken.None);
        }
    }

    /// <summary>Changes the given fields of a present record, bumping version and resetting retry state.</summary>
    /// <returns>The record after the change (its desired state tells whether the change applied), or null if unknown.</returns>
    public async Task<RecordDto?> UpdateAsync(long id, string? value, int? ttl, bool? proxied, CancellationToken cancellationToken)
    {
        // Fields not given stay as stored (COALESCE), so concurrent updates of different fields do not undo each other.
        // A row a worker holds keeps 'running' and its lease; the worker's version-conditional write-back notices.
        const string sql = $"""
            UPDATE domain_dns_records
            SET value = COALESCE(@Value, value), ttl = COALESCE(@Ttl, ttl), proxied = COALESCE(@Proxied, proxied),
                version = version + 1, retry_count = 0, next_retry_at = NULL, last_error = NULL,
                status = IF(status = 'running', 'running', 'pending'), updated_at = UTC_TIMESTAMP(6)
            WHERE id = @Id AND desired_state = 'present';
            SELECT {Projection}
            FROM domain_dns_records r JOIN domains d ON d.id = r.domain_id
            WHERE r.id = @Id;
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await QueryRecordsAsync(connection, new CommandDefinition(sql, new { Id = id, Value = value, Ttl = ttl, Proxied = proxied },
            cancellationToken: cancellationToken))).SingleOrDefault();
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

    /// <summary>Puts a record in error back to pending with a fresh retry budget; last_error stays until the next outcome.</summary>
    /// <returns>Whether it was in error, and the record as it is now (null if unknown).</returns>
    public async Task<(bool Retried, RecordDto? Record)> RetryAsync(long id, CancellationToken cancellationToken)
    {
        const string sql = $"""
            UPDATE domain_dns_records
            SET status = 'pending', retry_count = 0, next_retry_at = NULL, updated_at = UTC_TIMESTAMP(6)
            WHERE id = @Id AND status = 'error';
            SELECT ROW_COUNT();
            SELECT {Projection}
            FROM domain_dns_records r JOIN domains d ON d.id = r.domain_id
            WHERE r.id = @Id;
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var grid = await connection.QueryMultipleAsync(new CommandDefinition(sql, new { Id = id }, cancellationToken: cancellationToken));
        var changed = await grid.ReadSingleAsync<long>();
        var record = ReadRecords(grid).SingleOrDefault();
        return (changed > 0, record);
    }

    public async Task<PagedList<RecordDto>> ListAsync(RecordFilter filter, CancellationToken cancellationToken)
    {
        // Each filter adds a fixed fragment; values are always parameters.
        var where = new List<string>();
        if (filter.DomainId is not null) where.Add("r.domain_id = @DomainId");
        if (filter.Name is not null) where.Add("r.name = @Name");
        if (filter.Type is not null) where.Add("r.type = @Type");
        if (filter.OwnerType is not null) where.Add("r.owner_type = @OwnerType");
        if (filter.OwnerId is not null) where.Add("r.owner_id = @OwnerId");
        if (filter.Status is not null) where.Add("r.status = @Status");
        if (filter.DesiredState is not null) where.Add("r.desired_state = @DesiredState");
        var condition = where.Count == 0 ? "" : "WHERE " + string.Join(" AND ", where);
        var sql = $"""
            SELECT COUNT(*) FROM domain_dns_records r {condition};
            SELECT {Projection}
            FROM domain_dns_records r JOIN domains d ON d.id = r.domain_id
            {condition}
            ORDER BY r.id DESC
            LIMIT @Take OFFSET @Skip;
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var grid = await connection.QueryMultipleAsync(new CommandDefinition(sql, new
        {
            filter.DomainId, filter.Name, filter.Type, filter.OwnerType, filter.OwnerId, filter.Status, filter.DesiredState,
            Take = filter.PageSize, Skip = (long)(filter.Page - 1) * filter.PageSize,
        }, cancellationToken: cancellationToken));
        var total = await grid.ReadSingleAsync<long>();
        return new PagedList<RecordDto>(ReadRecords(grid), total, filter.Page, filter.PageSize);
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

    private static CreateOutcome SameOrOtherOwner(RecordDto existing, NewRecord record) =>
        existing.OwnerType == record.OwnerType && existing.OwnerId == record.OwnerId
            ? new CreateOutcome.Existing(existing)
            : new CreateOutcome.Conflict(
                $"an identical {record.Type} record '{record.Name}' → '{Validation.Shorten(record.Value)}' already exists as record {existing.Id} "
                + $"of another owner ({existing.OwnerType} {existing.OwnerId})", existing.Id);

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

    private static async Task ReleaseAsync(MySqlConnection connection, string? lockName, bool held, CancellationToken cancellationToken)
    {
        if (lockName is null || !held) return;
        await connection.ExecuteAsync(new CommandDefinition("DO RELEASE_LOCK(@LockName)", new { LockName = lockName }, cancellationToken: cancellationToken));
    }

    private static async Task<IReadOnlyList<RecordDto>> QueryRecordsAsync(MySqlConnection connection, CommandDefinition command) =>
        (await connection.QueryAsync<DnsRecordRow, string, RecordDto>(command, RecordDto.From, splitOn: "domain")).ToList();

    private static List<RecordDto> ReadRecords(SqlMapper.GridReader grid) =>
        grid.Read<DnsRecordRow, string, RecordDto>(RecordDto.From, splitOn: "domain").ToList();
}
