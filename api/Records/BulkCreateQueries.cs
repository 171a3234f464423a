using System.Text;
using DnsSync.Shared.Records;

namespace DnsSync.Api.Records;

/// <summary>What a bulk create came to: all records created or found, or nothing written and why, by item.</summary>
internal abstract record BulkOutcome
{
    public sealed record Done(BulkCreateResult Result) : BulkOutcome;
    /// <summary>Items whose domain cannot take records (400).</summary>
    public sealed record Invalid(IReadOnlyList<FieldError> Errors) : BulkOutcome;
    /// <summary>Items that collide with present records or with each other (409).</summary>
    public sealed record Conflicts(IReadOnlyList<FieldError> Errors) : BulkOutcome;
    public sealed record Busy : BulkOutcome;
}

/// <summary>
/// Creates up to a thousand records in one transaction with the rules of a single create: the domain must take records,
/// an identical present record of the same owner is returned (of another owner: conflict), and a CNAME stands alone at
/// its name among A/AAAA/CNAME records — against present rows and within the request. The named locks of every
/// A/AAAA/CNAME name are taken first, in sorted order, so concurrent single and bulk creates of one name serialise
/// exactly as single creates do, without deadlocks.
/// </summary>
internal sealed class BulkCreateQueries(MySqlDataSource dataSource)
{
    private const int LocksPerStatement = 200;
    private const int RowsPerInsert = 250;

    public async Task<BulkOutcome> CreateAsync(IReadOnlyList<NewRecord> records, IReadOnlyDictionary<long, string> zones, CancellationToken cancellationToken)
    {
        // An identical row inserted by a concurrent create between the check and the insert breaks the unique present_key:
        // the transaction is rolled back and the whole request checked again, once.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await TryCreateAsync(records, zones, cancellationToken);
            }
            catch (MySqlException ex) when (ex.ErrorCode == MySqlErrorCode.DuplicateKeyEntry && attempt < 2)
            {
            }
        }
    }

    private async Task<BulkOutcome> TryCreateAsync(IReadOnlyList<NewRecord> records, IReadOnlyDictionary<long, string> zones, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var locks = records.Where(r => r.IsExclusive).Select(r => RecordQueries.LockName(r.DomainId, r.Name)).Distinct().Order(StringComparer.Ordinal).ToList();
        try
        {
            if (!await LockAsync(connection, locks, cancellationToken)) return new BulkOutcome.Busy();
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var domainIds = records.Select(r => r.DomainId).Distinct().ToArray();
            var domainErrors = await CheckDomainsAsync(connection, transaction, records, domainIds, cancellationToken);
            if (domainErrors.Count > 0) return new BulkOutcome.Invalid(domainErrors);

            var present = await PresentAsync(connection, transaction, records, domainIds, cancellationToken);
            var plan = Plan(records, present);
            if (plan.Errors.Count > 0) return new BulkOutcome.Conflicts(plan.Errors);

            var fresh = plan.Targets.Where(t => t.Existing is null).Select(t => t.Record).Distinct().ToList();
            foreach (var chunk in fresh.Chunk(RowsPerInsert)) await InsertAsync(connection, transaction, chunk, cancellationToken);
            var after = fresh.Count == 0 ? present : await PresentAsync(connection, transaction, records, domainIds, cancellationToken);
            await transaction.CommitAsync(CancellationToken.None); // the rows are written: finish even if the client left
            var result = plan.Targets.Select(t => t.Existing ?? after.First(r => t.Record.SameContent(r))).ToList();
            return new BulkOutcome.Done(new BulkCreateResult(result, fresh.Count, plan.Targets.Count(t => t.Existing is not null)));
        }
        finally
        {
            if (locks.Count > 0) await ReleaseAllAsync(connection);
        }
    }

    /// <summary>Every item's outcome decided before anything is written: the existing record it repeats, a new row, or a conflict.</summary>
    private static (IReadOnlyList<(NewRecord Record, RecordDto? Existing)> Targets, IReadOnlyList<FieldError> Errors) Plan(
        IReadOnlyList<NewRecord> records, IReadOnlyList<RecordDto> present)
    {
        var targets = new List<(NewRecord, RecordDto?)>(records.Count);
        var errors = new List<FieldError>();
        var planned = new List<(NewRecord Record, int Index)>();
        for (var i = 0; i < records.Count; i++)
        {
            var record = records[i];
            var field = $"records[{i}]";
            if (present.FirstOrDefault(record.SameContent) is { } identical)
            {
                if (record.SameOwner(identical)) targets.Add((record, identical));
                else errors.Add(new FieldError(field, $"{field}: an identical {record.Type} record '{record.Name}' already exists as record {identical.Id} "
                    + $"of another owner ({identical.OwnerType} {identical.OwnerId})"));
                continue;
            }
            var twin = planned.FirstOrDefault(p => p.Record.DomainId == record.DomainId && p.Record.Type == record.Type && p.Record.Name == record.Name && p.Record.Value == record.Value);
            if (twin.Record is not null)
            {
                if (twin.Record.OwnerType == record.OwnerType && twin.Record.OwnerId == record.OwnerId) targets.Add((twin.Record, null));
                else errors.Add(new FieldError(field, $"{field} repeats records[{twin.Index}] with another owner"));
                continue;
            }
            if (present.FirstOrDefault(r => record.ExcludedBy(r.Type, r.DomainId, r.Name)) is { } clash)
                errors.Add(new FieldError(field, $"{field}: {Article(record.Type)} cannot share the name '{record.Name}' with the present {clash.Type} record {clash.Id}: "
                    + "a CNAME must be the only A/AAAA/CNAME record at its name"));
            else if (planned.FirstOrDefault(p => record.ExcludedBy(p.Record.Type, p.Record.DomainId, p.Record.Name)) is { Record: not null } sibling)
                errors.Add(new FieldError(field, $"{field}: {Article(record.Type)} cannot share the name '{record.Name}' with the {sibling.Record.Type} of records[{sibling.Index}]: "
                    + "a CNAME must be the only A/AAAA/CNAME record at its name"));
            else
            {
                planned.Add((record, i));
                targets.Add((record, null));
            }
        }
        return (targets, errors);
    }

    private static string Article(string type) => type == "CNAME" ? "a CNAME" : $"an {type} record";

    private static async Task<bool> LockAsync(MySqlConnection connection, IReadOnlyList<string> locks, CancellationToken cancellationToken)
    {
        foreach (var chunk in locks.Chunk(LocksPerStatement))
        {
            var sql = "SELECT " + string.Join(" + ", chunk.Select((_, i) => $"COALESCE(GET_LOCK(@L{i}, 5), 0)"));
            var parameters = new DynamicParameters();
            for (var i = 0; i < chunk.Length; i++) parameters.Add($"L{i}", chunk[i]);
            var granted = await connection.ExecuteScalarAsync<long>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
            if (granted != chunk.Length) return false;
        }
        return true;
    }

    private static async Task ReleaseAllAsync(MySqlConnection connection)
    {
        if (connection.State != System.Data.ConnectionState.Open) return;
        try
        {
            await connection.ExecuteAsync(new CommandDefinition("DO RELEASE_ALL_LOCKS()"));
        }
        catch (MySqlException)
        {
            // The connection is broken; the server releases its locks when the session ends.
        }
    }

    private static async Task<IReadOnlyList<FieldError>> CheckDomainsAsync(MySqlConnection connection, MySqlTransaction transaction,
        IReadOnlyList<NewRecord> records, long[] domainIds, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT d.id, d.domain, d.status, p.status AS BindingStatus, k.status AS KeyStatus
            FROM domains d
            LEFT JOIN domain_dns_providers p ON p.domain_id = d.id
            LEFT JOIN api_keys k ON k.id = p.api_key_id
            WHERE d.id IN @DomainIds
            """;
        var domains = (await connection.QueryAsync<DomainTarget>(new CommandDefinition(sql, new { DomainIds = domainIds }, transaction,
            cancellationToken: cancellationToken))).ToDictionary(d => d.Id);
        var errors = new List<FieldError>();
        for (var i = 0; i < records.Count; i++)
        {
            var problem = domains.TryGetValue(records[i].DomainId, out var domain)
                ? domain.Usable ? null : domain.Problem
                : $"domain {records[i].DomainId} does not exist";
            if (problem is not null) errors.Add(new FieldError($"records[{i}].domainId", $"records[{i}].domainId: {problem}"));
        }
        return errors;
    }

    /// <summary>Present rows at the names of the request (of any type: identical ones and CNAME-excluding ones).</summary>
    private static async Task<IReadOnlyList<RecordDto>> PresentAsync(MySqlConnection connection, MySqlTransaction transaction,
        IReadOnlyList<NewRecord> records, long[] domainIds, CancellationToken cancellationToken)
    {
        const string sql = $"""
            SELECT {RecordQueries.Projection}
            FROM domain_dns_records r JOIN domains d ON d.id = r.domain_id
            WHERE r.domain_id IN @DomainIds AND r.name IN @Names AND r.desired_state = 'present'
            ORDER BY r.id
            """;
        var names = records.Select(r => r.Name).Distinct().ToArray();
        var rows = await RecordQueries.QueryRecordsAsync(connection, new CommandDefinition(sql, new { DomainIds = domainIds, Names = names }, transaction,
            cancellationToken: cancellationToken));
        var wanted = records.Select(r => (r.DomainId, r.Name)).ToHashSet();
        return rows.Where(r => wanted.Contains((r.DomainId, r.Name))).ToList();
    }

    private static async Task InsertAsync(MySqlConnection connection, MySqlTransaction transaction, IReadOnlyList<NewRecord> rows, CancellationToken cancellationToken)
    {
        var sql = new StringBuilder("""
            INSERT INTO domain_dns_records
                (domain_id, type, name, value, ttl, proxied, status, desired_state, owner_type, owner_id, created_at, updated_at)
            VALUES
            """);
        var parameters = new DynamicParameters();
        for (var i = 0; i < rows.Count; i++)
        {
            sql.Append(i == 0 ? "\n" : ",\n").Append($"(@D{i}, @T{i}, @N{i}, @V{i}, @Ttl{i}, @P{i}, 'pending', 'present', @Ot{i}, @Oi{i}, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))");
            parameters.Add($"D{i}", rows[i].DomainId);
            parameters.Add($"T{i}", rows[i].Type);
            parameters.Add($"N{i}", rows[i].Name);
            parameters.Add($"V{i}", rows[i].Value);
            parameters.Add($"Ttl{i}", rows[i].Ttl);
            parameters.Add($"P{i}", rows[i].Proxied);
            parameters.Add($"Ot{i}", rows[i].OwnerType);
            parameters.Add($"Oi{i}", rows[i].OwnerId);
        }
        await connection.ExecuteAsync(new CommandDefinition(sql.ToString(), parameters, transaction, cancellationToken: cancellationToken));
    }
}
