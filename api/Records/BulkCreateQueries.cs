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
    /// <summary>A write that leaves conflicting items out (<see cref="BulkWrite.SkipConflicts"/>): every item's outcome, in request order.</summary>
    public sealed record Items(IReadOnlyList<BulkItem> Results) : BulkOutcome;
}

/// <summary>How a bulk write goes: conflicting items refuse the whole request, or are left out (an import); a dry run writes nothing.</summary>
internal sealed record BulkWrite(bool SkipConflicts = false, bool DryRun = false);

/// <param name="Record">The item as requested.</param>
/// <param name="Row">The row it is now: created, or the identical one of the same owner that existed (null in a dry run for a new row, and for a conflict).</param>
/// <param name="Existing">True when an identical present row of the same owner already existed.</param>
/// <param name="Conflict">Why the item was left out, or null.</param>
internal sealed record BulkItem(NewRecord Record, RecordDto? Row, bool Existing, string? Conflict);

/// <summary>
/// Creates up to a thousand records in one transaction with the rules of a single create: the domain must take records,
/// an identical present record of the same owner is returned (of another owner: conflict), and a CNAME stands alone at
/// its name among A/AAAA/CNAME records — against present rows and within the request. The named locks of every
/// A/AAAA/CNAME name are taken first, in sorted order, so concurrent single and bulk creates of one name serialise
/// exactly as single creates do, without deadlocks.
/// </summary>
internal sealed class BulkCreateQueries(MySqlDataSource dataSource)
{
    // A longer sum of GET_LOCK calls overruns the server's parser stack (thread_stack), so the locks go in statements of 100.
    private const int LocksPerStatement = 100;
    private const int RowsPerInsert = 500;

    public Task<BulkOutcome> CreateAsync(IReadOnlyList<NewRecord> records, IReadOnlyDictionary<long, string> zones, CancellationToken cancellationToken) =>
        WriteAsync(records, zones, new BulkWrite(), cancellationToken);

    /// <summary>As <see cref="CreateAsync"/>, with the conflict handling and dry run of <paramref name="mode"/>.</summary>
    public async Task<BulkOutcome> WriteAsync(IReadOnlyList<NewRecord> records, IReadOnlyDictionary<long, string> zones, BulkWrite mode, CancellationToken cancellationToken)
    {
        // An identical row inserted by a concurrent create between the check and the insert breaks the unique present_key:
        // the transaction is rolled back and the whole request checked again, once.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await TryCreateAsync(records, mode, cancellationToken);
            }
            catch (MySqlException ex) when (ex.ErrorCode == MySqlErrorCode.DuplicateKeyEntry && attempt < 2)
            {
            }
        }
    }

    private async Task<BulkOutcome> TryCreateAsync(IReadOnlyList<NewRecord> records, BulkWrite mode, CancellationToken cancellationToken)
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
            var errors = plan.Where(p => p.Error is not null).Select(p => p.Error!).ToList();
            if (errors.Count > 0 && !mode.SkipConflicts) return new BulkOutcome.Conflicts(errors);

            var targets = plan.Where(p => p.Error is null).ToList();
            var fresh = targets.Where(t => t.Existing is null).Select(t => t.Record).Distinct().ToList();
            if (mode.DryRun) return new BulkOutcome.Items(plan.Select(p => new BulkItem(records[p.Index], p.Existing, p.Existing is not null, p.Error?.Message)).ToList());
            foreach (var chunk in fresh.Chunk(RowsPerInsert)) await InsertAsync(connection, transaction, chunk, cancellationToken);
            var after = fresh.Count == 0 ? present : await PresentAsync(connection, transaction, records, domainIds, cancellationToken);
            await transaction.CommitAsync(CancellationToken.None); // the rows are written: finish even if the client left
            var byContent = after.GroupBy(Content).ToDictionary(g => g.Key, g => g.First());
            RecordDto Row((NewRecord Record, RecordDto? Existing) t) => t.Existing ?? byContent[(t.Record.DomainId, t.Record.Type, t.Record.Name, t.Record.Value)];
            if (mode.SkipConflicts)
                return new BulkOutcome.Items(plan.Select(p => new BulkItem(records[p.Index], p.Error is null ? Row((p.Record, p.Existing)) : null,
                    p.Existing is not null, p.Error?.Message)).ToList());
            var result = targets.Select(t => Row((t.Record, t.Existing))).ToList();
            return new BulkOutcome.Done(new BulkCreateResult(result, fresh.Count, targets.Count(t => t.Existing is not null)));
        }
        finally
        {
            if (locks.Count > 0) await ReleaseAllAsync(connection);
        }
    }

    /// <summary>
    /// Every item's outcome decided before anything is written, in request order: the existing record it repeats, a new
    /// row (Record: the first of identical items, which is the one inserted), or a conflict.
    /// </summary>
    private static IReadOnlyList<(int Index, NewRecord Record, RecordDto? Existing, FieldError? Error)> Plan(
        IReadOnlyList<NewRecord> records, IReadOnlyList<RecordDto> present)
    {
        var plan = new List<(int, NewRecord, RecordDto?, FieldError?)>(records.Count);
        var presentByContent = present.GroupBy(Content).ToDictionary(g => g.Key, g => g.First());
        var presentByName = present.ToLookup(r => (r.DomainId, r.Name));
        var planned = new Dictionary<(long, string, string, string), (NewRecord Record, int Index)>();
        var plannedByName = new Dictionary<(long, string), List<(NewRecord Record, int Index)>>();
        for (var i = 0; i < records.Count; i++)
        {
            var record = records[i];
            var field = $"records[{i}]";
            var content = (record.DomainId, record.Type, record.Name, record.Value);
            if (presentByContent.TryGetValue(content, out var identical))
            {
                plan.Add(record.SameOwner(identical)
                    ? (i, record, identical, null)
                    : (i, record, null, new FieldError(field, $"{field}: an identical {record.Type} record '{record.Name}' already exists as record {identical.Id} "
                        + $"of another owner ({identical.OwnerType} {identical.OwnerId})")));
                continue;
            }
            if (planned.TryGetValue(content, out var twin))
            {
                plan.Add(twin.Record.OwnerType == record.OwnerType && twin.Record.OwnerId == record.OwnerId
                    ? (i, twin.Record, null, null)
                    : (i, record, null, new FieldError(field, $"{field} repeats records[{twin.Index}] with another owner")));
                continue;
            }
            var name = (record.DomainId, record.Name);
            var siblings = plannedByName.TryGetValue(name, out var atName) ? atName : [];
            if (presentByName[name].FirstOrDefault(r => record.ExcludedBy(r.Type, r.DomainId, r.Name)) is { } clash)
                plan.Add((i, record, null, new FieldError(field, $"{field}: {Article(record.Type)} cannot share the name '{record.Name}' with the present {clash.Type} record {clash.Id}: "
                    + "a CNAME must be the only A/AAAA/CNAME record at its name")));
            else if (siblings.FirstOrDefault(p => record.ExcludedBy(p.Record.Type, p.Record.DomainId, p.Record.Name)) is { Record: not null } sibling)
                plan.Add((i, record, null, new FieldError(field, $"{field}: {Article(record.Type)} cannot share the name '{record.Name}' with the {sibling.Record.Type} of records[{sibling.Index}]: "
                    + "a CNAME must be the only A/AAAA/CNAME record at its name")));
            else
            {
                planned[content] = (record, i);
                if (atName is null) plannedByName[name] = atName = [];
                atName.Add((record, i));
                plan.Add((i, record, null, null));
            }
        }
        return plan;
    }

    private static (long, string, string, string) Content(RecordDto r) => (r.DomainId, r.Type, r.Name, r.Value);

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
                (domain_id, type, name, value, ttl, proxied, status, desired_state, owner_type, owner_id, created_at, updated_at,
                 provider_record_id, synced_version, synced_value, synced_ttl, synced_proxied, last_synced_at)
            VALUES
            """);
        var parameters = new DynamicParameters();
        for (var i = 0; i < rows.Count; i++)
        {
            // A record taken over from the provider is active and in sync at version 1 (what it holds is what it declares).
            var values = rows[i].ProviderRecordId is null
                ? "'pending', 'present', @Ot{0}, @Oi{0}, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), NULL, NULL, NULL, NULL, NULL, NULL"
                : "'active', 'present', @Ot{0}, @Oi{0}, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), @Pid{0}, 1, @V{0}, @Ttl{0}, @P{0}, UTC_TIMESTAMP(6)";
            sql.Append(i == 0 ? "\n" : ",\n").Append($"(@D{i}, @T{i}, @N{i}, @V{i}, @Ttl{i}, @P{i}, ").Append(string.Format(System.Globalization.CultureInfo.InvariantCulture, values, i)).Append(')');
            if (rows[i].ProviderRecordId is { } pid) parameters.Add($"Pid{i}", pid);
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
