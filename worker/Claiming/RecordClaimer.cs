using System.Data;
using Dapper;
using DnsSync.Shared.Records;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace DnsSync.Worker.Claiming;

/// <summary>
/// The worker's SQL: claiming due rows under a lease, and writing outcomes back conditionally on that lease
/// (and, for outcomes that would overwrite intent, on the claimed version).
/// </summary>
internal sealed class RecordClaimer(MySqlDataSource dataSource, IOptions<DnsWorkerOptions> options, TimeProvider time)
{
    private string Instance => options.Value.InstanceId;

    // The claim transaction's two statements are constants of the class rather than of ClaimAsync so the
    // benchmarks time, and the reliability suite EXPLAINs on a million rows, exactly this SQL, not a copy.

    /// <summary>Due rows, oldest due first (@Batch); one range scan on ix_domain_dns_records_due.</summary>
    internal const string SelectDueSql = """
        SELECT id, status, attempt_count
        FROM domain_dns_records
        WHERE due_at <= UTC_TIMESTAMP(6)
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

    /// <summary>
    /// Claims up to BatchSize due rows, oldest due first, in one short transaction (no provider call while row
    /// locks are held). Rows other instances are claiming are skipped, not waited for.
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
            due = (await connection.QueryAsync<(long, string, int)>(new CommandDefinition(
                SelectDueSql, new { Batch = o.BatchSize }, transaction, cancellationToken: cancellationToken))).ToList();
            if (due.Count == 0) return [];

            // From here on no cancellation: a claim committed but never read would strand its rows until the lease ends.

            await connection.ExecuteAsync(new CommandDefinition(
                MarkRunningSql, new { Instance, o.LeaseSec, Ids = due.Select(d => d.Id).ToArray() }, transaction));
            await transaction.CommitAsync(CancellationToken.None);
        }

        const string read = """
            SELECT r.id, r.domain_id, r.type, r.name, r.value, r.ttl, r.proxied, r.desired_state,
                   r.provider_record_id, r.retry_count, r.version, r.updated_at, r.last_synced_at,
                   d.domain AS zone, d.status AS domain_status,
                   p.provider_zone_id, p.status AS binding_status, p.provider AS binding_provider,
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

    /// <summary>The present row is in sync with <paramref name="providerRecordId"/>: active, errors and lease cleared.</summary>
    public async Task<WriteBack> MarkActiveAsync(ClaimedRecord record, string providerRecordId, CancellationToken cancellationToken)
    {
        const string sql = """
            UPDATE domain_dns_records
            SET status = 'active', provider_record_id = @Pid, last_error = NULL, retry_count = 0, next_retry_at = NULL,
                locked_by = NULL, locked_until = NULL, last_synced_at = UTC_TIMESTAMP(6), updated_at = UTC_TIMESTAMP(6)
            WHERE id = @Id AND locked_by = @Instance AND version = @Version
            """;
        if (await ExecuteAsync(sql, new { Pid = providerRecordId, record.Id, Instance, record.Version }, cancellationToken) == 1)
            return WriteBack.Applied;
        return await SupersedeAsync(record, providerRecordId, null, cancellationToken);
    }

    /// <summary>The absent row's remote record is gone: the row is deleted.</summary>
    public async Task<WriteBack> RemoveAsync(ClaimedRecord record, CancellationToken cancellationToken)
    {
        const string sql = "DELETE FROM domain_dns_records WHERE id = @Id AND locked_by = @Instance AND version = @Version";
        if (await ExecuteAsync(sql, new { record.Id, Instance, record.Version }, cancellationToken) == 1)
            return WriteBack.Applied;
        return await SupersedeAsync(record, null, null, cancellationToken);
    }

    /// <summary>A failure: error with backoff (DnsWorker:RetryBaseSec, capped at RetryMaxSec), or (after 10) no automatic retry; last_error says why.</summary>
    public async Task<WriteBack> MarkFailedAsync(ClaimedRecord record, string? providerRecordId, string error, bool mayHaveCreated, CancellationToken cancellationToken)
    {
        // next_retry_at comes before retry_count: MySQL applies SET left to right, so it still sees the old count.
        const string sql = """
            UPDATE domain_dns_records
            SET status = 'error', provider_record_id = @Pid, last_error = @Error,
                attempt_count = GREATEST(attempt_count - @Uncount, 0),
                next_retry_at = IF(retry_count + 1 >= @MaxAttempts, NULL, UTC_TIMESTAMP(6) + INTERVAL @BackoffSec SECOND),
                retry_count = retry_count + 1,
                locked_by = NULL, locked_until = NULL
            WHERE id = @Id AND locked_by = @Instance AND version = @Version
            """;
        var parameters = new
        {
            Pid = providerRecordId, Error = RetryPolicy.TruncateError(error), RetryPolicy.MaxAttempts,
            BackoffSec = (int)RetryPolicy.Backoff(record.RetryCount, options.Value.RetryBaseSec, options.Value.RetryMaxSec).TotalSeconds, record.Id, Instance, record.Version,
            Uncount = mayHaveCreated ? 0 : 1,
        };
        if (await ExecuteAsync(sql, parameters, cancellationToken) == 1) return WriteBack.Applied;
        return await SupersedeAsync(record, providerRecordId, error, cancellationToken);
    }

    /// <summary>HTTP 429 is not the record's fault: pending again after Retry-After, retry_count unchanged.</summary>
    public async Task<WriteBack> MarkRateLimitedAsync(ClaimedRecord record, string? providerRecordId, TimeSpan retryAfter, string message, bool mayHaveCreated, CancellationToken cancellationToken)
    {
        const string sql = """
            UPDATE domain_dns_records
            SET status = 'pending', provider_record_id = @Pid, last_error = @Error,
                next_retry_at = UTC_TIMESTAMP(6) + INTERVAL @WaitMicroseconds MICROSECOND,
                attempt_count = GREATEST(attempt_count - @Uncount, 0),
                locked_by = NULL, locked_until = NULL
            WHERE id = @Id AND locked_by = @Instance
            """;
        var parameters = new
        {
            Pid = providerRecordId, Error = RetryPolicy.TruncateError(message),
            WaitMicroseconds = (long)(retryAfter.TotalMilliseconds * 1000), record.Id, Instance,
            Uncount = mayHaveCreated ? 0 : 1,
        };
        return await ExecuteAsync(sql, parameters, cancellationToken) == 1 ? WriteBack.Applied : WriteBack.LeaseLost;
    }

    // Uncount (here and above): when no create that may have been applied was sent during this claim, the
    // claim is not counted, so attempt_count > 0 keeps meaning "the record may exist without its id saved",
    // and a first create after a refusal, a 429 or a shutdown stays a single request.

    /// <summary>
    /// Gives the row back without an outcome (shutdown, or too little lease left for another provider call).
    /// When no provider call was made for it, the claim is not counted, so a first create stays a single request.
    /// </summary>
    public async Task<WriteBack> ReleaseAsync(ClaimedRecord record, string? providerRecordId, bool mayHaveCreated, CancellationToken cancellationToken)
    {
        const string sql = """
            UPDATE domain_dns_records
            SET status = @Status, provider_record_id = @Pid, attempt_count = GREATEST(attempt_count - @Uncount, 0),
                locked_by = NULL, locked_until = NULL
            WHERE id = @Id AND locked_by = @Instance
            """;
        var status = record.PreviousStatus == RecordStatus.Error ? RecordStatus.Error : RecordStatus.Pending;
        var parameters = new { Status = status, Pid = providerRecordId, Uncount = mayHaveCreated ? 0 : 1, record.Id, Instance };
        return await ExecuteAsync(sql, parameters, cancellationToken) == 1 ? WriteBack.Applied : WriteBack.LeaseLost;
    }

    /// <summary>Rows of the same domain, type and name as <paramref name="record"/> (other than itself).</summary>
    public async Task<IReadOnlyList<SiblingRow>> SiblingsAsync(ClaimedRecord record, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT id, value, desired_state, provider_record_id
            FROM domain_dns_records
            WHERE domain_id = @DomainId AND name = @Name AND type = @Type AND id <> @Id
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<SiblingRow>(new CommandDefinition(
            sql, new { record.DomainId, record.Name, record.Type, record.Id }, cancellationToken: cancellationToken))).ToList();
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

    /// <summary>The intent changed while we worked: the new intent wins (pending), keeping what now exists remotely.</summary>
    private async Task<WriteBack> SupersedeAsync(ClaimedRecord record, string? providerRecordId, string? error, CancellationToken cancellationToken)
    {
        const string sql = """
            UPDATE domain_dns_records
            SET status = 'pending', provider_record_id = @Pid, last_error = COALESCE(@Error, last_error),
                next_retry_at = NULL, locked_by = NULL, locked_until = NULL
            WHERE id = @Id AND locked_by = @Instance
            """;
        var parameters = new { Pid = providerRecordId, Error = error is null ? null : RetryPolicy.TruncateError(error), record.Id, Instance };
        return await ExecuteAsync(sql, parameters, cancellationToken) == 1 ? WriteBack.Superseded : WriteBack.LeaseLost;
    }

    private async Task<int> ExecuteAsync(string sql, object parameters, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
    }
}

/// <summary>What happened to an outcome write.</summary>
internal enum WriteBack
{
    /// <summary>Written as decided.</summary>
    Applied,

    /// <summary>The intent changed during the sync: the row went back to pending instead.</summary>
    Superseded,

    /// <summary>Another instance holds the row now (our lease expired and was taken over): nothing written.</summary>
    LeaseLost,
}
