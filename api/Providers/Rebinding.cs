namespace DnsSync.Api.Providers;

/// <summary>What a bind did to the domain's records when it changed the zone or the API key.</summary>
/// <param name="Requeued">Rows sent to the new target again.</param>
/// <param name="Stranded">Records left at the previous zone (listed in full by GET /domains/{id}/stranded).</param>
/// <param name="StrandedRecords">The first <see cref="Rebinding.ListedInAnswer"/> of them.</param>
public sealed record RebindDto(
    string PreviousZoneId, long PreviousApiKeyId, bool MoveRecords, int Requeued, int Stranded,
    IReadOnlyList<StrandedRecordDto> StrandedRecords);

/// <summary>
/// A binding that changes target re-queues the domain's rows, inside the bind's transaction:
/// <list type="bullet">
/// <item>Another zone: every row that has, or may have, a record at the old zone (a provider id, or attempt_count
/// above zero: an attempt whose answer was not saved, or one in flight) leaves a stranded_records entry with the old
/// zone, API key and provider id. The rows lose their provider ids and leases and go pending at a new version, so
/// the worker creates them at the new zone, and a worker still holding one of them can write nothing back (its
/// lease is gone; what it may have created at the old zone is found by its marker). Entries of an absent row are
/// deleted like moveRecords asks: the user already deleted that record. A row that comes back to a zone it left
/// takes that record back instead of creating a second one.</item>
/// <item>Only another API key (the same zone, so the same records): the rows keep their ids and go pending at a new
/// version, so each is applied again with the new key; nothing is stranded.</item>
/// <item>The same zone and key: nothing changes.</item>
/// </list>
/// </summary>
internal static class Rebinding
{
    public const int ListedInAnswer = 100;

    public sealed class Target
    {
        public string ZoneId { get; init; } = "";
        public long ApiKeyId { get; init; }
    }

    /// <returns>Null when the target is unchanged.</returns>
    public static async Task<RebindDto?> RequeueAsync(MySqlConnection connection, MySqlTransaction transaction,
        long domainId, Target previous, Target next, bool moveRecords, CancellationToken cancellationToken)
    {
        if (string.Equals(previous.ZoneId, next.ZoneId, StringComparison.OrdinalIgnoreCase))
        {
            if (previous.ApiKeyId == next.ApiKeyId) return null;
            var requeued = await connection.ExecuteAsync(new CommandDefinition(RequeueForKeySql, new { DomainId = domainId }, transaction, cancellationToken: cancellationToken));
            return new RebindDto(previous.ZoneId, previous.ApiKeyId, moveRecords, requeued, 0, []);
        }

        var parameters = new
        {
            DomainId = domainId, OldZoneId = previous.ZoneId, OldApiKeyId = previous.ApiKeyId, NewZoneId = next.ZoneId, Move = moveRecords,
        };
        var moved = 0;
        foreach (var (sql, index) in MoveToZoneSql.Select((sql, index) => (sql, index)))
        {
            var changed = await connection.ExecuteAsync(new CommandDefinition(sql, parameters, transaction, cancellationToken: cancellationToken));
            if (index == RequeueStep) moved = changed;
        }
        var (stranded, listed) = await StrandedRecordQueries.AtZoneAsync(connection, transaction, domainId, previous.ZoneId, ListedInAnswer, cancellationToken);
        return new RebindDto(previous.ZoneId, previous.ApiKeyId, moveRecords, moved, stranded, listed);
    }

    /// <summary>The same records, another key: apply every row again (a running one is superseded, keeping its id).</summary>
    private const string RequeueForKeySql = """
        UPDATE domain_dns_records
        SET version = version + 1, status = IF(status = 'running', 'running', 'pending'),
            retry_count = 0, next_retry_at = NULL, last_error = NULL, updated_at = UTC_TIMESTAMP(6)
        WHERE domain_id = @DomainId
        """;

    /// <summary>
    /// In order: lock the domain's rows (and, in REPEATABLE READ, the gap after them); strand what is at the old zone
    /// (attempt_count above zero covers a row in flight; its entry is due when the lease ends, when that attempt is
    /// over); move the rows to the new zone, restoring the ids of records they left there earlier (or, when that id is
    /// unknown or its entry is being worked on, making the row look its record up first); forget the entries of rows
    /// so taken back. Entries at the new zone whose row is gone stay listed.
    /// </summary>
    private static readonly string[] MoveToZoneSql =
    [
        "SELECT COUNT(*) FROM domain_dns_records WHERE domain_id = @DomainId FOR UPDATE",
        """
        INSERT INTO stranded_records (domain_id, record_id, provider_zone_id, api_key_id, provider_record_id, type, name, value,
                                      delete_requested, status, next_retry_at, created_at, updated_at)
        SELECT r.domain_id, r.id, @OldZoneId, @OldApiKeyId, r.provider_record_id, r.type, r.name, r.value,
               @Move OR r.desired_state = 'absent',
               IF(r.provider_record_id IS NOT NULL AND NOT (@Move OR r.desired_state = 'absent'), 'kept', 'pending'),
               IF(r.status = 'running', r.locked_until, NULL), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)
        FROM domain_dns_records r
        WHERE r.domain_id = @DomainId AND (r.provider_record_id IS NOT NULL OR r.attempt_count > 0)
        """,
        """
        UPDATE domain_dns_records r
        LEFT JOIN stranded_records s ON s.record_id = r.id AND s.provider_zone_id = @NewZoneId
        SET r.provider_record_id = IF(s.status = 'running', NULL, s.provider_record_id),
            r.attempt_count = IF(s.id IS NOT NULL AND (s.provider_record_id IS NULL OR s.status = 'running'), 1, 0),
            r.synced_version = NULL, r.version = r.version + 1, r.status = 'pending',
            r.locked_by = NULL, r.locked_until = NULL, r.retry_count = 0, r.next_retry_at = NULL, r.last_error = NULL,
            r.updated_at = UTC_TIMESTAMP(6)
        WHERE r.domain_id = @DomainId
        """,
        """
        DELETE s FROM stranded_records s JOIN domain_dns_records r ON r.id = s.record_id
        WHERE s.domain_id = @DomainId AND s.provider_zone_id = @NewZoneId AND s.status <> 'running'
        """,
    ];

    private const int RequeueStep = 2;
}
