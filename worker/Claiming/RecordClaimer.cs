using System.Data;
using Dapper;
using DnsSync.Shared.Records;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace DnsSync.Worker.Claiming;

/// <summary>
/// Claims due rows under a lease (outcomes are written by <see cref="RecordWriteBack"/>), and the reads around a
/// claim: the rows sharing a claimed row's name, and the counts behind the metrics.
/// </summary>
internal sealed class RecordClaimer(
    MySqlDataSource dataSource, IOptions<DnsWorkerOptions> options, IOptions<CloudflareOptions> cloudflare, PartialBatchPacer pacer, TimeProvider time)
{
    private string Instance => options.Value.InstanceId;

    // The claim's statements and SelectDueAsync are members of the class rather than of ClaimAsync so the
    // benchmarks time, and the reliability suite EXPLAINs on a million rows, exactly this SQL, not a copy.

    /// <summary>
    /// The zones (@Zones at most) of the oldest due rows among the first @Scan, oldest first; a plain read, no
    /// locks (the locking read per zone skips what another instance took meanwhile). One range scan on
    /// ix_domain_dns_records_due (forced: on a small table the optimiser prefers scanning the whole zone index).
    /// </summary>
    internal const string SelectDueZonesSql = """
        SELECT domain_id
        FROM (SELECT domain_id, due_at, id
              FROM domain_dns_records FORCE INDEX (ix_domain_dns_records_due)
              WHERE due_at <= UTC_TIMESTAMP(6)
              ORDER BY due_at, id
              LIMIT @Scan) due
        GROUP BY domain_id
        ORDER BY MIN(due_at), MIN(id)
        LIMIT @Zones
        """;

    /// <summary>
    /// A zone's (@Domain) due rows, oldest due first (@Batch); one range scan on ix_domain_dns_records_zone_due (forced:
    /// with statistics of a table whose rows sit in few zones the optimiser would scan every zone's due rows instead).
    /// </summary>
    internal const string SelectDueSql = """
        SELECT id, status, attempt_count
        FROM domain_dns_records FORCE INDEX (ix_domain_dns_records_zone_due)
        WHERE domain_id = @Domain AND due_at <= UTC_TIMESTAMP(6)
        ORDER BY due_at, id
        LIMIT @Batch
        FOR UPDATE SKIP LOCKED
        """;

    /// <summary>Marks the selected rows (@Ids) running under this instance's lease (@Instance, @LeaseSec).</summary>
    internal const string MarkRunningSql = """
        UPDATE domain_dns_records
        SET status = 'running',
            locked_by = @Instance,
            locked_until = UTC_TIMESTAMP(6) + INTERVAL @LeaseSec SECOND,
            attempt_count = attempt_count + 1
        WHERE id IN @Ids
        """;

    /// <summary>The API key of each zone's binding (none for an unbound zone).</summary>
    internal const string ZoneKeysSql = "SELECT domain_id, api_key_id FROM domain_dns_providers WHERE domain_id IN @Domains";

    /// <summary>
    /// Locks up to <paramref name="batch"/> due rows, taken zone by zone: the zones of the oldest due rows first (at
    /// most <paramref name="zones"/>), and from each zone as many of its due rows as the batch still holds. A pass
    /// therefore carries whole zone batches (one provider request per zone and BatchLimit changes) rather than the
    /// oldest rows of every zone mixed, which would spend one request on a handful of changes in each zone.
    /// </summary>
    /// <param name="partial">
    /// Asked, with the zone's API key, before a zone's rows are taken when they are all its due rows and fewer than
    /// <paramref name="fullBatch"/>; false leaves them for a later pass (locks released at commit, nothing written).
    /// Null takes every zone.
    /// </param>
    internal static async Task<List<(long Id, string Status, int AttemptCount)>> SelectDueAsync(
        MySqlConnection connection, MySqlTransaction transaction, int batch, int zones, CancellationToken cancellationToken,
        Func<long, bool>? partial = null, int fullBatch = int.MaxValue)
    {
        var domains = (await connection.QueryAsync<long>(new CommandDefinition(
            SelectDueZonesSql, new { Scan = batch, Zones = zones }, transaction, cancellationToken: cancellationToken))).ToList();
        var keys = partial is null || domains.Count == 0
            ? new Dictionary<long, long>()
            : (await connection.QueryAsync<(long DomainId, long ApiKeyId)>(new CommandDefinition(
                ZoneKeysSql, new { Domains = domains }, transaction, cancellationToken: cancellationToken))).ToDictionary(k => k.DomainId, k => k.ApiKeyId);
        var due = new List<(long Id, string Status, int AttemptCount)>();
        foreach (var domain in domains)
        {
            if (due.Count >= batch) break;
            var room = batch - due.Count;
            var rows = (await connection.QueryAsync<(long, string, int)>(new CommandDefinition(
                SelectDueSql, new { Domain = domain, Batch = room }, transaction, cancellationToken: cancellationToken))).ToList();
            var isPartial = rows.Count > 0 && rows.Count < room && rows.Count < fullBatch;
            if (isPartial && partial is not null && keys.TryGetValue(domain, out var key) && !partial(key)) continue;
            due.AddRange(rows);
        }
        return due;
    }

    /// <summary>
    /// Claims up to BatchSize due rows of at most MaxParallelZones zones (see <see cref="SelectDueAsync"/>) in one
    /// short transaction (no provider call while row locks are held). Rows other instances are claiming are
    /// skipped, not waited for.
    /// </summary>
    public async Task<IReadOnlyList<ClaimedRecord>> ClaimAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        var leaseDeadline = time.GetUtcNow().AddSeconds(o.LeaseSec);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);

        // READ COMMITTED: the locking read takes record locks only, no gap locks that would block the API's inserts.
        List<(long Id, string Status, int AttemptCount)> due;
        await using (var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken))
        {
            due = await SelectDueAsync(connection, transaction, o.BatchSize, o.MaxParallelZones, cancellationToken,
                pacer.TryTake, Math.Min(o.BatchSize, cloudflare.Value.BatchLimit));
            if (due.Count == 0) return [];

            // From here on no cancellation: a claim committed but never read would strand its rows until the lease ends.

            await connection.ExecuteAsync(new CommandDefinition(
                MarkRunningSql, new { Instance, o.LeaseSec, Ids = due.Select(d => d.Id).ToArray() }, transaction));
            await transaction.CommitAsync(CancellationToken.None);
        }

        const string read = """
            SELECT r.id, r.domain_id, r.type, r.name, r.value, r.ttl, r.proxied, r.desired_state,
                   r.provider_record_id, r.retry_count, r.version, r.synced_version,
                   d.domain AS zone, d.status AS domain_status,
                   p.provider_zone_id, p.status AS binding_status, p.provider AS binding_provider, p.batch_limit,
                   k.id AS api_key_id, k.account AS api_key_account, k.api_token AS api_key_token, k.status AS api_key_status
            FROM domain_dns_records r
            JOIN domains d ON d.id = r.domain_id
            LEFT JOIN domain_dns_providers p ON p.domain_id = r.domain_id
            LEFT JOIN api_keys k ON k.id = p.api_key_id
            WHERE r.id IN @Ids AND r.locked_by = @Instance
            """;
        var rows = (await connection.QueryAsync<ClaimedRecord>(new CommandDefinition(
            read, new { Ids = due.Select(d => d.Id).ToArray(), Instance }))).ToList();
        var before = due.ToDictionary(d => d.Id);
        foreach (var row in rows)
        {
            row.PreviousStatus = before[row.Id].Status;
            row.PreviousAttemptCount = before[row.Id].AttemptCount;
            row.LeaseDeadline = leaseDeadline;
        }
        var order = due.Select((d, index) => (d.Id, index)).ToDictionary(x => x.Id, x => x.index);
        return rows.OrderBy(r => order[r.Id]).ToList();
    }

    /// <summary>
    /// The other rows at the names of <paramref name="records"/> (any type, same domain), per record id: whose remote
    /// records are off limits, and which of them are on their way out.
    /// </summary>
    public async Task<ILookup<long, SiblingRow>> SiblingsAsync(IReadOnlyCollection<ClaimedRecord> records, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT id, domain_id, type, name, value, status, desired_state, provider_record_id
            FROM domain_dns_records
            WHERE domain_id IN @Domains AND name IN @Names
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = (await connection.QueryAsync<SiblingRow>(new CommandDefinition(sql, new
        {
            Domains = records.Select(r => r.DomainId).Distinct().ToArray(),
            Names = records.Select(r => r.Name).Distinct().ToArray(),
        }, cancellationToken: cancellationToken))).ToList();
        return records
            .SelectMany(r => rows.Where(s => s.Id != r.Id && s.DomainId == r.DomainId && s.Name == r.Name).Select(s => (r.Id, s)))
            .ToLookup(x => x.Id, x => x.s);
    }

    /// <summary>Rows per status and the age of the oldest due row, for the metrics.</summary>
    public async Task<(IReadOnlyDictionary<string, long> ByStatus, double OldestDueAgeSeconds)> ReadStatsAsync(CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT status, COUNT(*) AS count FROM domain_dns_records GROUP BY status;
            SELECT COALESCE(TIMESTAMPDIFF(MICROSECOND, MIN(due_at), UTC_TIMESTAMP(6)), 0) FROM domain_dns_records;
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var grid = await connection.QueryMultipleAsync(new CommandDefinition(sql, cancellationToken: cancellationToken));
        var byStatus = (await grid.ReadAsync<(string Status, long Count)>()).ToDictionary(r => r.Status, r => r.Count);
        var ageMicroseconds = await grid.ReadSingleAsync<long>();
        return (byStatus, Math.Max(0, ageMicroseconds / 1_000_000.0));
    }
}
