using System.Data;
using Dapper;
using DnsSync.Shared.Records;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace DnsSync.Worker.Rebinding;

/// <summary>A stranded_records entry this instance holds a lease on, with its domain, its current binding and its old API key.</summary>
internal sealed class StrandedRecord
{
    public long Id { get; init; }
    public long DomainId { get; init; }
    public long RecordId { get; init; }
    public string ProviderZoneId { get; init; } = "";
    public long ApiKeyId { get; init; }
    public string? ProviderRecordId { get; init; }
    public string Type { get; init; } = "";
    public string Name { get; init; } = "";
    public bool DeleteRequested { get; init; }
    public int RetryCount { get; init; }
    public string Zone { get; init; } = "";

    /// <summary>The domain's zone now: an entry at it is the row's own business again while the row exists.</summary>
    public string? CurrentZoneId { get; init; }
    public bool RowExists { get; init; }
    public long? KeyId { get; init; }
    public string? ApiKeyStatus { get; init; }
    public string? ApiKeyToken { get; init; }
    public string? ApiKeyAccount { get; init; }

    public string Fqdn => RecordRules.ToFqdn(Zone, Name);

    public bool IsAtCurrentZone => string.Equals(CurrentZoneId, ProviderZoneId, StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// Claims due stranded_records entries under a lease and writes their outcomes, each conditional on the lease. An entry
/// whose delete was asked for is due only once its row is active (at its new target: the rebind set it pending) or
/// gone or absent, so an old record goes only after its replacement exists.
/// </summary>
internal sealed class StrandedRecordStore(MySqlDataSource dataSource, IOptions<DnsWorkerOptions> options)
{
    private string Instance => options.Value.InstanceId;

    public async Task<IReadOnlyList<StrandedRecord>> ClaimAsync(CancellationToken cancellationToken)
    {
        const string select = """
            SELECT s.id FROM stranded_records s
            WHERE ((s.status = 'pending' AND (s.next_retry_at IS NULL OR s.next_retry_at <= UTC_TIMESTAMP(6)))
                   OR (s.status = 'error' AND s.next_retry_at <= UTC_TIMESTAMP(6))
                   OR (s.status = 'running' AND s.locked_until <= UTC_TIMESTAMP(6)))
              AND (s.delete_requested = 0 OR NOT EXISTS (
                      SELECT 1 FROM domain_dns_records r
                      WHERE r.id = s.record_id AND r.desired_state = 'present' AND r.status <> 'active'))
            ORDER BY s.id
            LIMIT @Batch
            FOR UPDATE SKIP LOCKED
            """;
        const string mark = """
            UPDATE stranded_records
            SET status = 'running', locked_by = @Instance, locked_until = UTC_TIMESTAMP(6) + INTERVAL @LeaseSec SECOND
            WHERE id IN @Ids
            """;
        const string read = """
            SELECT s.id, s.domain_id, s.record_id, s.provider_zone_id, s.api_key_id, s.provider_record_id, s.type, s.name,
                   s.delete_requested, s.retry_count, d.domain AS zone, p.provider_zone_id AS current_zone_id,
                   EXISTS (SELECT 1 FROM domain_dns_records r WHERE r.id = s.record_id) AS row_exists,
                   k.id AS key_id, k.status AS api_key_status, k.api_token AS api_key_token, k.account AS api_key_account
            FROM stranded_records s
            JOIN domains d ON d.id = s.domain_id
            LEFT JOIN domain_dns_providers p ON p.domain_id = s.domain_id
            LEFT JOIN api_keys k ON k.id = s.api_key_id
            WHERE s.id IN @Ids AND s.locked_by = @Instance
            ORDER BY s.id
            """;
        var o = options.Value;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        long[] ids;
        await using (var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken))
        {
            ids = (await connection.QueryAsync<long>(new CommandDefinition(select, new { Batch = o.BatchSize }, transaction, cancellationToken: cancellationToken))).ToArray();
            if (ids.Length == 0) return [];
            await connection.ExecuteAsync(new CommandDefinition(mark, new { Instance, o.LeaseSec, Ids = ids }, transaction));
            await transaction.CommitAsync(CancellationToken.None);
        }
        return (await connection.QueryAsync<StrandedRecord>(new CommandDefinition(read, new { Ids = ids, Instance }))).ToList();
    }

    /// <summary>The record is gone (deleted, never created, or back in use by its row): the entry is forgotten.</summary>
    public Task ForgetAsync(StrandedRecord entry) =>
        ExecuteAsync("DELETE FROM stranded_records WHERE id = @Id AND locked_by = @Instance", new { entry.Id, Instance });

    /// <summary>Left at the old zone and listed; <paramref name="note"/> says why it was not deleted.</summary>
    public Task KeepAsync(StrandedRecord entry, string providerRecordId, string? note) => ExecuteAsync("""
        UPDATE stranded_records
        SET status = 'kept', provider_record_id = @Pid, last_error = @Note, retry_count = 0, next_retry_at = NULL,
            locked_by = NULL, locked_until = NULL, updated_at = UTC_TIMESTAMP(6)
        WHERE id = @Id AND locked_by = @Instance
        """, new { Pid = providerRecordId, Note = note is null ? null : RetryPolicy.TruncateError(note), entry.Id, Instance });

    /// <summary>Not the entry's fault (a 429, the budget, an inactive key): pending again after <paramref name="wait"/>.</summary>
    public Task DeferAsync(StrandedRecord entry, TimeSpan wait, string? reason) => ExecuteAsync("""
        UPDATE stranded_records
        SET status = 'pending', last_error = COALESCE(@Reason, last_error),
            next_retry_at = UTC_TIMESTAMP(6) + INTERVAL @WaitMicroseconds MICROSECOND,
            locked_by = NULL, locked_until = NULL, updated_at = UTC_TIMESTAMP(6)
        WHERE id = @Id AND locked_by = @Instance
        """, new { Reason = reason is null ? null : RetryPolicy.TruncateError(reason), WaitMicroseconds = (long)(wait.TotalMilliseconds * 1000), entry.Id, Instance });

    /// <summary>A failure: error with the records' backoff; no automatic retry after <see cref="RetryPolicy.MaxAttempts"/>.</summary>
    public Task FailAsync(StrandedRecord entry, string error)
    {
        var o = options.Value;
        return ExecuteAsync("""
            UPDATE stranded_records
            SET status = 'error', last_error = @Error,
                next_retry_at = IF(retry_count + 1 >= @MaxAttempts, NULL, UTC_TIMESTAMP(6) + INTERVAL @BackoffSec SECOND),
                retry_count = retry_count + 1, locked_by = NULL, locked_until = NULL, updated_at = UTC_TIMESTAMP(6)
            WHERE id = @Id AND locked_by = @Instance
            """, new
        {
            Error = RetryPolicy.TruncateError(error), RetryPolicy.MaxAttempts,
            BackoffSec = (int)RetryPolicy.Backoff(entry.RetryCount + 1, o.RetryBaseSec, o.RetryMaxSec).TotalSeconds, entry.Id, Instance,
        });
    }

    private async Task ExecuteAsync(string sql, object parameters)
    {
        await using var connection = await dataSource.OpenConnectionAsync(CancellationToken.None);
        await connection.ExecuteAsync(new CommandDefinition(sql, parameters));
    }
}
