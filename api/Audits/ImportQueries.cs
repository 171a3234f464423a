using DnsSync.Api.Records;
using DnsSync.Shared.Audits;
using DnsSync.Shared.Records;

namespace DnsSync.Api.Audits;

/// <summary>What an import came to.</summary>
internal abstract record ImportOutcome
{
    public sealed record Done(ImportResultDto Result) : ImportOutcome;
    public sealed record DomainMissing : ImportOutcome;
    /// <summary>No audit has completed: there is nothing known to import.</summary>
    public sealed record NotAudited : ImportOutcome;
    public sealed record Invalid(string Problem) : ImportOutcome;
    public sealed record Busy : ImportOutcome;
}

/// <summary>
/// Takes the unmanaged remote records the last audit found into intent rows, as the CMDB's pull sync does: owner
/// external 0, status active and in sync with the record (provider id kept, synced_version = version), so the worker
/// sends nothing for them. The rows are written by the bulk create's own transaction and rules (identical present row:
/// existing; CNAME exclusivity); a record now conflicting with a row is left out and said why. Imported differences are
/// marked so, and a record some row already points at is never taken twice, so repeating an import imports nothing twice.
/// </summary>
internal sealed class ImportQueries(MySqlDataSource dataSource, AuditQueries audits, BulkCreateQueries bulk)
{
    /// <summary>Records imported per request (the bulk create's limit); the answer says how many remain.</summary>
    public const int MaxPerRequest = BulkCreateRecordsRequest.MaxRecords;

    public async Task<ImportOutcome> ImportAsync(long domainId, bool dryRun, CancellationToken cancellationToken)
    {
        if (await audits.ReadStateAsync(domainId, cancellationToken) is not { } state) return new ImportOutcome.DomainMissing();
        if (state.FinishedAt is null) return new ImportOutcome.NotAudited();
        var (candidates, remaining) = await CandidatesAsync(domainId, cancellationToken);

        var items = new List<ImportItemDto>();
        var records = new List<(Candidate Candidate, NewRecord Record)>();
        foreach (var candidate in candidates)
        {
            if (candidate.Referenced) items.Add(candidate.Item("skipped", null, "a row already points at this record"));
            else if (candidate.ToRecord(domainId, state.Domain, out var problem) is { } record) records.Add((candidate, record));
            else items.Add(candidate.Item("skipped", null, problem));
        }
        if (records.Count > 0)
        {
            var zones = new Dictionary<long, string> { [domainId] = state.Domain };
            switch (await bulk.WriteAsync(records.Select(r => r.Record).ToList(), zones, new BulkWrite(SkipConflicts: true, DryRun: dryRun), cancellationToken))
            {
                case BulkOutcome.Items written:
                    for (var i = 0; i < records.Count; i++) items.Add(Describe(records[i].Candidate, written.Results[i], dryRun));
                    if (!dryRun) await MarkImportedAsync(records.Select((r, i) => (r.Candidate.Id, written.Results[i])).ToList(), cancellationToken);
                    break;
                case BulkOutcome.Invalid invalid:
                    return new ImportOutcome.Invalid(invalid.Errors[0].Message[(invalid.Errors[0].Field.Length + 2)..]);
                default:
                    return new ImportOutcome.Busy();
            }
        }
        return new ImportOutcome.Done(new ImportResultDto(dryRun,
            items.Count(i => i.Result is "imported" or "would import"), items.Count(i => i.Result == "existing"),
            items.Count(i => i.Result == "skipped"), remaining, items));
    }

    private static ImportItemDto Describe(Candidate candidate, BulkItem item, bool dryRun) => item switch
    {
        { Conflict: { } conflict } => candidate.Item("skipped", null, conflict[(conflict.IndexOf(": ", StringComparison.Ordinal) + 2)..]),
        { Existing: true } => candidate.Item("existing", item.Row!.Id, "an identical row of owner external 0 exists"),
        _ => candidate.Item(dryRun ? "would import" : "imported", item.Row?.Id, null),
    };

    /// <summary>
    /// The importable differences not yet imported (at most <see cref="MaxPerRequest"/>, oldest first), whether a row
    /// already points at each one's record, and how many more there are.
    /// </summary>
    private async Task<(IReadOnlyList<Candidate> Candidates, int Remaining)> CandidatesAsync(long domainId, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT x.id, x.provider_record_id, x.type, x.name, x.content, x.ttl, x.proxied,
                   EXISTS (SELECT 1 FROM domain_dns_records r WHERE r.domain_id = x.domain_id AND r.provider_record_id = x.provider_record_id) AS referenced
            FROM zone_audit_differences x
            WHERE x.domain_id = @DomainId AND x.kind = 'unmanaged' AND x.importable = 1 AND x.action = 'report'
            ORDER BY x.id
            LIMIT @Take;
            SELECT COUNT(*) FROM zone_audit_differences
            WHERE domain_id = @DomainId AND kind = 'unmanaged' AND importable = 1 AND action = 'report';
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var grid = await connection.QueryMultipleAsync(new CommandDefinition(sql, new { DomainId = domainId, Take = MaxPerRequest },
            cancellationToken: cancellationToken));
        var candidates = (await grid.ReadAsync<Candidate>()).ToList();
        var total = await grid.ReadSingleAsync<long>();
        return (candidates, (int)Math.Max(0, total - candidates.Count));
    }

    private async Task MarkImportedAsync(IReadOnlyList<(long DifferenceId, BulkItem Item)> written, CancellationToken cancellationToken)
    {
        const string sql = "UPDATE zone_audit_differences SET action = @Action, record_id = @RecordId WHERE id = @Id";
        var rows = written.Where(w => w.Item.Row is not null)
            .Select(w => new { Action = AuditAction.Imported, RecordId = w.Item.Row!.Id, Id = w.DifferenceId }).ToList();
        await using var connection = await dataSource.OpenConnectionAsync(CancellationToken.None);
        await using var transaction = await connection.BeginTransactionAsync(CancellationToken.None);
        await connection.ExecuteAsync(new CommandDefinition(sql, rows, transaction));
        await transaction.CommitAsync(CancellationToken.None);
    }

    /// <summary>An unmanaged remote record the last audit found importable.</summary>
    private sealed class Candidate
    {
        public long Id { get; init; }
        public string ProviderRecordId { get; init; } = "";
        public string Type { get; init; } = "";
        public string Name { get; init; } = "";
        public string Content { get; init; } = "";
        public int Ttl { get; init; }
        public bool Proxied { get; init; }
        public bool Referenced { get; init; }

        /// <summary>The intent row for this record under the create's rules, or null with the reason it cannot be one.</summary>
        public NewRecord? ToRecord(long domainId, string zone, out string problem)
        {
            problem = "";
            if (!RecordRules.TryNormalizeType(Type, out var type)) problem = $"type {Type} is not managed";
            else if (!RecordRules.TryNormalizeName(zone, Name + ".", out var name, out var nameError)) problem = nameError;
            else if (!RecordRules.TryNormalizeContent(type, Content, out var value, out var valueError)) problem = valueError;
            else if (!RecordRules.IsValidTtl(Ttl)) problem = $"ttl {Ttl} is outside 1 or 60–86400";
            else if (Proxied && !RecordRules.IsProxiable(type)) problem = $"a {type} record cannot be proxied";
            else return new NewRecord(domainId, type, name, value, Ttl, Proxied, "external", 0) { ProviderRecordId = ProviderRecordId };
            return null;
        }

        public ImportItemDto Item(string result, long? recordId, string? reason) =>
            new(ProviderRecordId, Type, Name, Content, Ttl, Proxied, result, recordId, reason);
    }
}
