using System.Text;
using Dapper;
using DnsSync.Shared.Audits;
using DnsSync.Shared.Records;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace DnsSync.Worker.Auditing;

/// <summary>
/// The audit's SQL: scheduling zones, the lease that lets one worker at a time audit a zone (a conditional UPDATE, as
/// record claims are), the rows an audit judges, and its outcome — row repairs, the zone's state and its differences —
/// written in one transaction on condition that the lease is still ours.
/// </summary>
internal sealed class ZoneAuditStore(MySqlDataSource dataSource, IOptions<DnsWorkerOptions> options, TimeProvider time)
{
    private const int RowsPerInsert = 500;
    private const int IdsPerRead = 1000;

    private string Instance => options.Value.InstanceId;
    private bool Scheduled => options.Value.AuditIntervalSec > 0;

    /// <summary>Gives every bound domain without an audit state one, due at a random moment of the first interval (so zones spread out).</summary>
    public async Task ScheduleNewZonesAsync(CancellationToken cancellationToken)
    {
        if (!Scheduled) return;
        const string sql = """
            INSERT IGNORE INTO zone_audits (domain_id, due_at, updated_at)
            SELECT p.domain_id, UTC_TIMESTAMP(6) + INTERVAL FLOOR(RAND() * @IntervalMicros) MICROSECOND, UTC_TIMESTAMP(6)
            FROM domain_dns_providers p
            LEFT JOIN zone_audits z ON z.domain_id = p.domain_id
            WHERE z.domain_id IS NULL
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(sql, new { IntervalMicros = options.Value.AuditIntervalSec * 1_000_000L }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Takes the lease on one zone whose audit is due (asked for first, then the longest overdue), or null when none is.
    /// The UPDATE re-checks due and lease, so of two workers racing for a zone exactly one gets it.
    /// </summary>
    public async Task<ClaimedAudit?> ClaimAsync(CancellationToken cancellationToken)
    {
        const string candidates = """
            SELECT z.domain_id
            FROM zone_audits z
            JOIN domains d ON d.id = z.domain_id AND d.status = 'active'
            JOIN domain_dns_providers p ON p.domain_id = z.domain_id AND p.status = 'active'
            JOIN api_keys k ON k.id = p.api_key_id AND k.status = 'active'
            WHERE (z.requested_at IS NOT NULL OR (@Scheduled AND z.due_at <= UTC_TIMESTAMP(6)))
              AND (z.locked_until IS NULL OR z.locked_until < UTC_TIMESTAMP(6))
            ORDER BY z.requested_at IS NULL, COALESCE(z.requested_at, z.due_at), z.domain_id
            LIMIT 5
            """;
        const string claim = """
            UPDATE zone_audits
            SET locked_by = @Instance, locked_until = UTC_TIMESTAMP(6) + INTERVAL @LeaseSec SECOND, updated_at = UTC_TIMESTAMP(6)
            WHERE domain_id = @DomainId
              AND (locked_until IS NULL OR locked_until < UTC_TIMESTAMP(6))
              AND (requested_at IS NOT NULL OR (@Scheduled AND due_at <= UTC_TIMESTAMP(6)))
            """;
        var leaseSec = options.Value.LeaseSec;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var due = await connection.QueryAsync<long>(new CommandDefinition(candidates, new { Scheduled }, cancellationToken: cancellationToken));
        foreach (var domainId in due)
        {
            var deadline = time.GetUtcNow().AddSeconds(leaseSec);
            if (await connection.ExecuteAsync(new CommandDefinition(claim, new { Instance, LeaseSec = leaseSec, DomainId = domainId, Scheduled },
                    cancellationToken: cancellationToken)) != 1) continue;
            if (await ReadClaimAsync(connection, domainId, cancellationToken) is { } claimed)
            {
                claimed.LeaseDeadline = deadline;
                return claimed;
            }
            // The binding or key was switched off meanwhile: give the zone back.
            await ReleaseAsync(domainId, CancellationToken.None);
        }
        return null;
    }

    private async Task<ClaimedAudit?> ReadClaimAsync(MySqlConnection connection, long domainId, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT z.domain_id, d.domain AS zone, p.provider_zone_id, p.batch_limit,
                   k.id AS api_key_id, k.account AS api_key_account, k.api_token AS api_key_token,
                   z.confirm_requested, z.outcome, z.drift, z.missing, z.orphans, UTC_TIMESTAMP(6) AS claimed_at
            FROM zone_audits z
            JOIN domains d ON d.id = z.domain_id AND d.status = 'active'
            JOIN domain_dns_providers p ON p.domain_id = z.domain_id AND p.status = 'active'
            JOIN api_keys k ON k.id = p.api_key_id AND k.status = 'active'
            WHERE z.domain_id = @DomainId AND z.locked_by = @Instance
            """;
        const string subzones = """
            SELECT d.domain
            FROM domain_dns_providers p JOIN domains d ON d.id = p.domain_id
            WHERE p.provider_zone_id = @ProviderZoneId AND d.id <> @DomainId AND d.domain LIKE CONCAT('%.', @Zone)
            """;
        var claimed = await connection.QuerySingleOrDefaultAsync<ClaimedAudit>(new CommandDefinition(sql, new { DomainId = domainId, Instance },
            cancellationToken: cancellationToken));
        if (claimed is null) return null;
        claimed.Subzones = (await connection.QueryAsync<string>(new CommandDefinition(subzones,
            new { claimed.ProviderZoneId, DomainId = domainId, claimed.Zone }, cancellationToken: cancellationToken))).ToList();
        return claimed;
    }

    /// <summary>Extends the lease; false when it is no longer ours (it ran out and another worker took the zone).</summary>
    public async Task<bool> RenewAsync(ClaimedAudit audit, CancellationToken cancellationToken)
    {
        const string sql = """
            UPDATE zone_audits SET locked_until = UTC_TIMESTAMP(6) + INTERVAL @LeaseSec SECOND
            WHERE domain_id = @DomainId AND locked_by = @Instance
            """;
        var deadline = time.GetUtcNow().AddSeconds(options.Value.LeaseSec);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        if (await connection.ExecuteAsync(new CommandDefinition(sql, new { options.Value.LeaseSec, audit.DomainId, Instance },
                cancellationToken: cancellationToken)) != 1) return false;
        audit.LeaseDeadline = deadline;
        return true;
    }

    /// <summary>The database's clock now: rows synced after it are not judged against a listing started after it.</summary>
    public async Task<DateTime> NowAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<DateTime>(new CommandDefinition("SELECT UTC_TIMESTAMP(6)", cancellationToken: cancellationToken));
    }

    private const string RowColumns = """
        r.id, r.domain_id, d.domain AS zone, r.type, r.name, r.value, r.ttl, r.proxied, r.status, r.desired_state,
        r.provider_record_id, r.version, r.synced_version, r.locked_by, r.last_synced_at, r.last_error
        """;

    /// <summary>Every row of the domain, and the rows of any domain that <paramref name="markedIds"/> name (markers in the listing).</summary>
    public async Task<(IReadOnlyList<AuditRow> Rows, IReadOnlyDictionary<long, AuditRow> Marked)> ReadRowsAsync(
        long domainId, IReadOnlyCollection<long> markedIds, CancellationToken cancellationToken)
    {
        const string domainRows = $"SELECT {RowColumns} FROM domain_dns_records r JOIN domains d ON d.id = r.domain_id WHERE r.domain_id = @DomainId";
        const string byId = $"SELECT {RowColumns} FROM domain_dns_records r JOIN domains d ON d.id = r.domain_id WHERE r.id IN @Ids";
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = (await connection.QueryAsync<AuditRow>(new CommandDefinition(domainRows, new { DomainId = domainId }, cancellationToken: cancellationToken))).ToList();
        var marked = rows.ToDictionary(r => r.Id);
        foreach (var chunk in markedIds.Where(id => !marked.ContainsKey(id)).Chunk(IdsPerRead))
            foreach (var row in await connection.QueryAsync<AuditRow>(new CommandDefinition(byId, new { Ids = chunk }, cancellationToken: cancellationToken)))
                marked[row.Id] = row;
        return (rows, marked);
    }

    /// <summary>
    /// Writes an audit's outcome. Unless it halted, the drifted rows go back to pending (missing ones without their
    /// provider id) and active rows a record not ours shadows say so in last_error — each by its own statement, and
    /// only if still in the state the audit judged, so a concurrent change of intent wins and the audit never holds two
    /// row locks (no deadlock with the workers' write-backs). Then, in one transaction, the zone's counts and differences,
    /// and the lease is released. Nothing is written when the lease is no longer ours.
    /// </summary>
    /// <returns>False when the lease was lost (another worker audits the zone now).</returns>
    public async Task<bool> FinishAsync(ClaimedAudit audit, AuditFindings findings, AuditRun run, DateTime listedAt)
    {
        await using var connection = await dataSource.OpenConnectionAsync(CancellationToken.None);
        if (!await HoldsLeaseAsync(connection, null, audit)) return false;
        if (run.Outcome == AuditOutcome.Applied) await ApplyToRowsAsync(connection, findings, listedAt);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var transaction = await connection.BeginTransactionAsync(CancellationToken.None);
                if (!await HoldsLeaseAsync(connection, transaction, audit)) return false;
                await WriteStateAsync(connection, transaction, audit, findings, run);
                await ReplaceDifferencesAsync(connection, transaction, audit.DomainId, findings);
                await transaction.CommitAsync(CancellationToken.None);
                return true;
            }
            catch (MySqlException ex) when (ex.ErrorCode is MySqlErrorCode.LockDeadlock or MySqlErrorCode.LockWaitTimeout && attempt < 3)
            {
                // Rolled back whole: write it again.
            }
        }
    }

    private async Task<bool> HoldsLeaseAsync(MySqlConnection connection, MySqlTransaction? transaction, ClaimedAudit audit)
    {
        var sql = "SELECT locked_by FROM zone_audits WHERE domain_id = @DomainId" + (transaction is null ? "" : " FOR UPDATE");
        return await connection.ExecuteScalarAsync<string?>(new CommandDefinition(sql, new { audit.DomainId }, transaction)) == Instance;
    }

    private static async Task ApplyToRowsAsync(MySqlConnection connection, AuditFindings findings, DateTime listedAt)
    {
        // The row is what the audit judged: active, current intent applied, held by no worker, synced before the listing.
        const string judged = """
            id = @Id AND version = @Version AND status = 'active' AND desired_state = 'present' AND synced_version = version
            AND locked_by IS NULL AND provider_record_id <=> @Pid AND last_synced_at < @ListedAt
            """;
        // synced_version = NULL: the worker sees intent not applied and sends it again; version is the client's and stays.
        const string repair = $"""
            UPDATE domain_dns_records
            SET status = 'pending', synced_version = NULL, last_error = @Error, retry_count = 0, next_retry_at = NULL,
                updated_at = UTC_TIMESTAMP(6)
            WHERE {judged}
            """;
        // Without a provider id the row is created again: a plain create (attempt_count 0), or a lookup first when a
        // copy marked for it is at its name (attempt_count 1), which it then adopts.
        const string recreate = $"""
            UPDATE domain_dns_records
            SET status = 'pending', synced_version = NULL, provider_record_id = NULL, attempt_count = @LookFirst,
                last_error = @Error, retry_count = 0, next_retry_at = NULL, updated_at = UTC_TIMESTAMP(6)
            WHERE {judged}
            """;
        // A report (or its removal) changes no intent: only on an active row at the version judged, held by no worker.
        const string report = """
            UPDATE domain_dns_records SET last_error = @Error
            WHERE id = @Id AND version = @Version AND status = 'active' AND locked_by IS NULL AND last_error <=> @Was
            """;
        foreach (var finding in findings.Differences.Where(f => f.Kind is AuditKind.Drift or AuditKind.Missing).OrderBy(f => f.Row!.Id))
        {
            var row = finding.Row!;
            var sql = finding.Kind == AuditKind.Drift ? repair : recreate;
            var applied = await connection.ExecuteAsync(new CommandDefinition(sql, new
            {
                row.Id, row.Version, Pid = row.ProviderRecordId, ListedAt = listedAt, Error = RetryPolicy.TruncateError(finding.Detail),
                LookFirst = finding.LookFirst ? 1 : 0,
            }));
            finding.Action = applied == 1 ? finding.Kind == AuditKind.Drift ? AuditAction.Repair : AuditAction.Recreate : AuditAction.Skipped;
        }
        foreach (var (row, error) in findings.ReportsOnRows(listedAt).OrderBy(r => r.Row.Id))
            await connection.ExecuteAsync(new CommandDefinition(report, new { row.Id, row.Version, Error = error, Was = row.LastError }));
    }

    private async Task WriteStateAsync(MySqlConnection connection, MySqlTransaction transaction, ClaimedAudit audit, AuditFindings f, AuditRun run)
    {
        const string sql = """
            UPDATE zone_audits
            SET outcome = @Outcome, last_error = NULL, started_at = @StartedAt, finished_at = UTC_TIMESTAMP(6),
                duration_ms = @DurationMs, requests = @Requests, remote_records = @RemoteRecords, managed_records = @ManagedRecords,
                in_sync = @InSync, drift = @Drift, missing = @Missing, orphans = @Orphans, blocking = @Blocking,
                unmanaged = @Unmanaged, unjudged = @Unjudged, repaired = @Repaired, recreated = @Recreated, orphans_deleted = @OrphansDeleted,
                requested_at = IF(requested_at <= @ClaimedAt, NULL, requested_at),
                confirm_requested = IF(@ConfirmUsed, 0, confirm_requested),
                due_at = IF(@Scheduled, UTC_TIMESTAMP(6) + INTERVAL @NextMicros MICROSECOND, due_at),
                locked_by = NULL, locked_until = NULL, updated_at = UTC_TIMESTAMP(6)
            WHERE domain_id = @DomainId AND locked_by = @Instance
            """;
        var differences = f.Differences.ToList();
        await connection.ExecuteAsync(new CommandDefinition(sql, new
        {
            run.Outcome, run.StartedAt, run.DurationMs, run.Requests, f.RemoteRecords, f.ManagedRecords, f.InSync,
            Drift = f.Count(AuditKind.Drift), Missing = f.Count(AuditKind.Missing), Orphans = f.Count(AuditKind.Orphan),
            Blocking = f.Count(AuditKind.Blocking), Unmanaged = f.Count(AuditKind.Unmanaged), f.Unjudged,
            Repaired = differences.Count(d => d.Action == AuditAction.Repair), Recreated = differences.Count(d => d.Action == AuditAction.Recreate),
            OrphansDeleted = differences.Count(d => d.Kind == AuditKind.Orphan && d.Action == AuditAction.Delete),
            audit.ClaimedAt, ConfirmUsed = audit.ConfirmRequested, Scheduled, NextMicros = NextAuditMicros(), audit.DomainId, Instance,
        }, transaction));
    }

    /// <summary>The next scheduled audit: 80–100 % of the interval from now, so zones audited together drift apart and no gap exceeds the interval.</summary>
    private long NextAuditMicros() => (long)(options.Value.AuditIntervalSec * 1_000_000L * (0.8 + 0.2 * Random.Shared.NextDouble()));

    private static async Task ReplaceDifferencesAsync(MySqlConnection connection, MySqlTransaction transaction, long domainId, AuditFindings findings)
    {
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM zone_audit_differences WHERE domain_id = @DomainId", new { DomainId = domainId }, transaction));
        foreach (var chunk in findings.Differences.Chunk(RowsPerInsert))
        {
            var sql = new StringBuilder("""
                INSERT INTO zone_audit_differences
                    (domain_id, kind, action, record_id, record_version, provider_record_id, type, name, content, ttl, proxied, comment, importable, detail, found_at)
                VALUES
                """);
            var parameters = new DynamicParameters();
            parameters.Add("D", domainId);
            for (var i = 0; i < chunk.Length; i++)
            {
                var d = chunk[i];
                sql.Append(i == 0 ? "\n" : ",\n")
                    .Append($"(@D, @K{i}, @A{i}, @R{i}, @V{i}, @P{i}, @T{i}, @N{i}, @C{i}, @Ttl{i}, @X{i}, @M{i}, @I{i}, @E{i}, UTC_TIMESTAMP(6))");
                parameters.Add($"K{i}", d.Kind);
                parameters.Add($"A{i}", d.Action);
                parameters.Add($"R{i}", d.Row?.Id);
                parameters.Add($"V{i}", d.Row?.Version);
                parameters.Add($"P{i}", d.Remote?.Id ?? d.Row?.ProviderRecordId);
                parameters.Add($"T{i}", d.Remote?.Type ?? d.Row?.Type);
                parameters.Add($"N{i}", (d.Remote?.Name.TrimEnd('.') ?? d.Row?.Fqdn)?.ToLowerInvariant());
                parameters.Add($"C{i}", d.Remote?.Content ?? d.Row?.Value);
                parameters.Add($"Ttl{i}", d.Remote?.Ttl ?? d.Row?.Ttl);
                parameters.Add($"X{i}", d.Remote?.Proxied ?? d.Row?.Proxied);
                parameters.Add($"M{i}", d.Remote?.Comment is { } comment ? comment[..Math.Min(comment.Length, 500)] : null);
                parameters.Add($"I{i}", d.Importable);
                parameters.Add($"E{i}", RetryPolicy.TruncateError(d.Detail));
            }
            await connection.ExecuteAsync(new CommandDefinition(sql.ToString(), parameters, transaction));
        }
    }

    /// <summary>
    /// An audit that could not list the zone (or failed otherwise): outcome failed and the reason; the times, counts and
    /// differences stay those of the last completed audit, and the zone is due again after <paramref name="retryIn"/>.
    /// </summary>
    public async Task FailAsync(ClaimedAudit audit, string error, TimeSpan retryIn)
    {
        const string sql = """
            UPDATE zone_audits
            SET outcome = 'failed', last_error = @Error, requested_at = IF(requested_at <= @ClaimedAt, NULL, requested_at),
                due_at = UTC_TIMESTAMP(6) + INTERVAL @RetryMicros MICROSECOND,
                locked_by = NULL, locked_until = NULL, updated_at = UTC_TIMESTAMP(6)
            WHERE domain_id = @DomainId AND locked_by = @Instance
            """;
        await using var connection = await dataSource.OpenConnectionAsync(CancellationToken.None);
        await connection.ExecuteAsync(new CommandDefinition(sql, new
        {
            Error = RetryPolicy.TruncateError(error), audit.ClaimedAt,
            RetryMicros = (long)retryIn.TotalMicroseconds, audit.DomainId, Instance,
        }));
    }

    /// <summary>
    /// Not the zone's fault (the request budget is spent, a 429): the audit waits <paramref name="wait"/>, an audit asked
    /// for stays asked for, and the last audit's outcome is left as it was.
    /// </summary>
    public async Task DeferAsync(ClaimedAudit audit, TimeSpan wait, string reason)
    {
        const string sql = """
            UPDATE zone_audits
            SET last_error = @Reason, due_at = UTC_TIMESTAMP(6) + INTERVAL @WaitMicros MICROSECOND,
                requested_at = IF(requested_at IS NULL, NULL, GREATEST(requested_at, UTC_TIMESTAMP(6) + INTERVAL @WaitMicros MICROSECOND)),
                locked_by = NULL, locked_until = NULL, updated_at = UTC_TIMESTAMP(6)
            WHERE domain_id = @DomainId AND locked_by = @Instance
            """;
        await using var connection = await dataSource.OpenConnectionAsync(CancellationToken.None);
        await connection.ExecuteAsync(new CommandDefinition(sql, new
        {
            Reason = RetryPolicy.TruncateError(reason), WaitMicros = (long)wait.TotalMicroseconds, audit.DomainId, Instance,
        }));
    }

    /// <summary>Gives the zone back untouched (shutdown, or its target went inactive).</summary>
    public async Task ReleaseAsync(long domainId, CancellationToken cancellationToken)
    {
        const string sql = "UPDATE zone_audits SET locked_by = NULL, locked_until = NULL WHERE domain_id = @DomainId AND locked_by = @Instance";
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(sql, new { DomainId = domainId, Instance }, cancellationToken: cancellationToken));
    }

    /// <summary>Seconds since each bound zone's last completed audit (null: never audited), for the metrics.</summary>
    public async Task<IReadOnlyList<(string Zone, double? AgeSeconds)>> ReadAgesAsync(CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT d.domain, TIMESTAMPDIFF(MICROSECOND, z.finished_at, UTC_TIMESTAMP(6)) / 1000000.0
            FROM domain_dns_providers p
            JOIN domains d ON d.id = p.domain_id
            LEFT JOIN zone_audits z ON z.domain_id = p.domain_id
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<(string, double?)>(new CommandDefinition(sql, cancellationToken: cancellationToken))).ToList();
    }
}
