using Dapper;
using DnsSync.Shared.Records;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace DnsSync.Worker.Claiming;

/// <summary>
/// Writes each claimed row's outcome back, conditionally on this instance's lease and — for outcomes that would
/// overwrite intent — on the claimed version: when the intent changed meanwhile the new intent wins (pending).
/// </summary>
/// <remarks>
/// attempt_count above zero means "a request for this row may have reached the provider without its answer being
/// saved", so the next attempt looks the record up before creating or deleting. The claim raises it before any
/// provider call; every write here takes the claim back (<c>@Uncount</c> = 1) unless the attempt left remote state
/// unresolved (<see cref="Reconciling.RecordOutcome.RemoteUncertain"/>), so a first create after a refusal, a 429
/// or a shutdown stays a single request.
/// </remarks>
internal sealed class RecordWriteBack(MySqlDataSource dataSource, IOptions<DnsWorkerOptions> options)
{
    private string Instance => options.Value.InstanceId;

    /// <summary>
    /// Writes a zone's outcomes in one transaction, each still conditional on its own lease and version. Not
    /// cancellable: an outcome the provider already has must reach its row.
    /// </summary>
    public async Task<IReadOnlyList<WriteBack>> WriteAsync(IReadOnlyList<(ClaimedRecord Record, Reconciling.RecordOutcome Outcome)> outcomes)
    {
        await using var connection = await dataSource.OpenConnectionAsync(CancellationToken.None);
        await using var transaction = await connection.BeginTransactionAsync(CancellationToken.None);
        var session = new Session(connection, transaction);
        var written = new List<WriteBack>(outcomes.Count);
        foreach (var (record, outcome) in outcomes)
        {
            written.Add(outcome.Kind switch
            {
                Reconciling.OutcomeKind.Synced => await MarkActiveAsync(session, record, outcome.ProviderRecordId!),
                Reconciling.OutcomeKind.Removed => await RemoveAsync(session, record),
                Reconciling.OutcomeKind.Failed => await MarkFailedAsync(session, record, outcome.ProviderRecordId, outcome.Error!, outcome.RemoteUncertain),
                Reconciling.OutcomeKind.Deferred => await DeferAsync(session, record, outcome.ProviderRecordId, outcome.RetryAfter, outcome.Error!, outcome.RemoteUncertain),
                _ => await ReleaseAsync(session, record, outcome.ProviderRecordId, outcome.RemoteUncertain),
            });
        }
        await transaction.CommitAsync(CancellationToken.None);
        return written;
    }

    /// <summary>A failure outside any provider answer (the zone's write-back failed, a bug), written on its own connection.</summary>
    public async Task<WriteBack> MarkFailedAsync(ClaimedRecord record, string? providerRecordId, string error, bool remoteUncertain)
    {
        await using var connection = await dataSource.OpenConnectionAsync(CancellationToken.None);
        return await MarkFailedAsync(new Session(connection, null), record, providerRecordId, error, remoteUncertain);
    }

    /// <summary>Gives an unstarted row back, on its own connection.</summary>
    public async Task<WriteBack> ReleaseAsync(ClaimedRecord record)
    {
        await using var connection = await dataSource.OpenConnectionAsync(CancellationToken.None);
        return await ReleaseAsync(new Session(connection, null), record, record.ProviderRecordId, remoteUncertain: false);
    }

    /// <summary>The present row is in sync with <paramref name="providerRecordId"/> at its claimed version.</summary>
    private async Task<WriteBack> MarkActiveAsync(Session session, ClaimedRecord record, string providerRecordId)
    {
        const string sql = """
            UPDATE domain_dns_records
            SET status = 'active', provider_record_id = @Pid, synced_version = @Version,
                synced_value = value, synced_ttl = ttl, synced_proxied = proxied,
                last_error = NULL, retry_count = 0, next_retry_at = NULL,
                locked_by = NULL, locked_until = NULL, last_synced_at = UTC_TIMESTAMP(6), updated_at = UTC_TIMESTAMP(6)
            WHERE id = @Id AND locked_by = @Instance AND version = @Version
            """;
        if (await session.ExecuteAsync(sql, new { Pid = providerRecordId, record.Id, Instance, record.Version }) == 1)
            return WriteBack.Applied;
        return await SupersedeAsync(session, record, providerRecordId, null, remoteUncertain: false);
    }

    /// <summary>The absent row's remote record is gone: the row is deleted.</summary>
    private async Task<WriteBack> RemoveAsync(Session session, ClaimedRecord record)
    {
        const string sql = "DELETE FROM domain_dns_records WHERE id = @Id AND locked_by = @Instance AND version = @Version";
        if (await session.ExecuteAsync(sql, new { record.Id, Instance, record.Version }) == 1)
            return WriteBack.Applied;
        return await SupersedeAsync(session, record, null, null, remoteUncertain: false);
    }

    /// <summary>
    /// A failure: error, retry_count + 1 and the seed's backoff (<see cref="RetryPolicy.Backoff"/>, with
    /// DnsWorker:RetryBaseSec and RetryMaxSec); no automatic retry after <see cref="RetryPolicy.MaxAttempts"/>.
    /// </summary>
    private async Task<WriteBack> MarkFailedAsync(
        Session session, ClaimedRecord record, string? providerRecordId, string error, bool remoteUncertain)
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
        var o = options.Value;
        var parameters = new
        {
            Pid = providerRecordId, Error = RetryPolicy.TruncateError(error), RetryPolicy.MaxAttempts,
            BackoffSec = (int)RetryPolicy.Backoff(record.RetryCount + 1, o.RetryBaseSec, o.RetryMaxSec).TotalSeconds,
            record.Id, Instance, record.Version, Uncount = Uncount(remoteUncertain),
        };
        if (await session.ExecuteAsync(sql, parameters) == 1) return WriteBack.Applied;
        return await SupersedeAsync(session, record, providerRecordId, error, remoteUncertain);
    }

    /// <summary>
    /// Not the record's fault (a 429, a spent request budget, an inactive domain, binding or key): pending again
    /// after <paramref name="wait"/>, retry_count unchanged, last_error says what it waits for.
    /// </summary>
    private async Task<WriteBack> DeferAsync(
        Session session, ClaimedRecord record, string? providerRecordId, TimeSpan wait, string reason, bool remoteUncertain)
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
            Pid = providerRecordId, Error = RetryPolicy.TruncateError(reason),
            WaitMicroseconds = (long)(wait.TotalMilliseconds * 1000), record.Id, Instance, Uncount = Uncount(remoteUncertain),
        };
        return await session.ExecuteAsync(sql, parameters) == 1 ? WriteBack.Applied : WriteBack.LeaseLost;
    }

    /// <summary>
    /// Gives the row back without an outcome (shutdown, or too little lease left for another provider call). It is
    /// due again at once, except a row claimed from error whose intent is unchanged: that keeps its retry schedule.
    /// </summary>
    private async Task<WriteBack> ReleaseAsync(
        Session session, ClaimedRecord record, string? providerRecordId, bool remoteUncertain)
    {
        const string sql = """
            UPDATE domain_dns_records
            SET status = IF(@FromError AND version = @Version AND next_retry_at IS NOT NULL, 'error', 'pending'),
                provider_record_id = @Pid, attempt_count = GREATEST(attempt_count - @Uncount, 0),
                locked_by = NULL, locked_until = NULL
            WHERE id = @Id AND locked_by = @Instance
            """;
        var parameters = new
        {
            FromError = record.PreviousStatus == RecordStatus.Error, record.Version, Pid = providerRecordId,
            Uncount = Uncount(remoteUncertain), record.Id, Instance,
        };
        return await session.ExecuteAsync(sql, parameters) == 1 ? WriteBack.Applied : WriteBack.LeaseLost;
    }

    /// <summary>The intent changed while we worked: the new intent wins (pending), keeping what now exists remotely.</summary>
    private async Task<WriteBack> SupersedeAsync(
        Session session, ClaimedRecord record, string? providerRecordId, string? error, bool remoteUncertain)
    {
        const string sql = """
            UPDATE domain_dns_records
            SET status = 'pending', provider_record_id = @Pid, last_error = COALESCE(@Error, last_error),
                attempt_count = GREATEST(attempt_count - @Uncount, 0),
                next_retry_at = NULL, locked_by = NULL, locked_until = NULL
            WHERE id = @Id AND locked_by = @Instance
            """;
        var parameters = new
        {
            Pid = providerRecordId, Error = error is null ? null : RetryPolicy.TruncateError(error),
            Uncount = Uncount(remoteUncertain), record.Id, Instance,
        };
        return await session.ExecuteAsync(sql, parameters) == 1 ? WriteBack.Superseded : WriteBack.LeaseLost;
    }

    private static int Uncount(bool remoteUncertain) => remoteUncertain ? 0 : 1;

    private sealed record Session(MySqlConnection Connection, MySqlTransaction? Transaction)
    {
        public Task<int> ExecuteAsync(string sql, object parameters) =>
            Connection.ExecuteAsync(new CommandDefinition(sql, parameters, Transaction));
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
