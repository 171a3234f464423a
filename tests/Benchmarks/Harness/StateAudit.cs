using DnsSync.Testing;

namespace DnsSync.Benchmarks.Harness;

/// <summary>A row of domain_dns_records as the end-of-run audit needs it; <see cref="Fqdn"/> is its remote name.</summary>
internal sealed record AuditRow(long Id, string Type, string Fqdn, string Value, string Status, bool Present, bool Synced, string? ProviderRecordId);

/// <summary>A record the emulator holds.</summary>
internal sealed record AuditRemote(string Id, string Type, string Name, string Content, string? Comment);

/// <summary>
/// How the provider's records compare with the rows at the end of a run. Duplicates are stale copies
/// (<see cref="StaleDuplicates"/>: a record carrying a row's marker that the row does not point at, or a second record
/// at a present row's type and name); orphans are records no row points at (stale copies are among them); stuck rows
/// are present rows not active with their current version applied; wrong rows are active ones whose record is missing
/// or has other content.
/// </summary>
internal sealed record StateAudit(int Rows, int RemoteRecords, int Duplicates, int Orphans, int Stuck, int Wrong, IReadOnlyList<string> Examples)
{
    public bool Clean => Duplicates == 0 && Orphans == 0 && Stuck == 0 && Wrong == 0;

    private const int MaxExamples = 5;

    public static StateAudit Of(IReadOnlyCollection<AuditRow> rows, IReadOnlyCollection<AuditRemote> remote)
    {
        var examples = new List<string>();
        var duplicates = StaleDuplicates.Find(
            rows.Select(r => new IntentRow(r.Id, r.Type, r.Fqdn, r.ProviderRecordId, r.Present)),
            remote.Select(r => new RemoteRecord(r.Id, r.Type, r.Name, r.Comment)));
        examples.AddRange(duplicates.Take(MaxExamples).Select(d => "duplicate: " + d));

        var referenced = rows.Where(r => r.ProviderRecordId is not null).Select(r => r.ProviderRecordId!).ToHashSet(StringComparer.Ordinal);
        var orphans = remote.Where(r => !referenced.Contains(r.Id)).ToList();
        examples.AddRange(orphans.Take(MaxExamples).Select(o => $"orphan: {o.Type} {o.Name} {o.Content} (id {o.Id}, comment {o.Comment ?? "none"})"));

        var stuck = rows.Where(r => r.Present && !(r.Status == "active" && r.Synced)).ToList();
        examples.AddRange(stuck.Take(MaxExamples).Select(r => $"stuck: row {r.Id} {r.Type} {r.Fqdn} is {r.Status}{(r.Synced ? "" : ", current version not applied")}"));

        var byId = remote.GroupBy(r => r.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var wrong = rows.Where(r => r.Present && r.Status == "active" && r.Synced
            && (r.ProviderRecordId is null || !byId.TryGetValue(r.ProviderRecordId, out var record)
                || !string.Equals(record.Content, r.Value, StringComparison.OrdinalIgnoreCase)
                || !string.Equals(record.Name.TrimEnd('.'), r.Fqdn.TrimEnd('.'), StringComparison.OrdinalIgnoreCase)))
            .ToList();
        examples.AddRange(wrong.Take(MaxExamples).Select(r => $"wrong: row {r.Id} {r.Type} {r.Fqdn} {r.Value} has {(r.ProviderRecordId is { } id && byId.TryGetValue(id, out var x) ? $"{x.Name} {x.Content}" : $"no remote record ({r.ProviderRecordId ?? "NULL"})")}"));

        return new StateAudit(rows.Count, remote.Count, duplicates.Count, orphans.Count, stuck.Count, wrong.Count, examples);
    }
}
