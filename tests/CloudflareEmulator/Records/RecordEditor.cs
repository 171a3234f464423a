using DnsSync.CloudflareEmulator.Hosting;

namespace DnsSync.CloudflareEmulator.Records;

internal sealed record StoredRecord(CloudflareRecord Record, long Sequence);

/// <summary>
/// Applies record operations to one zone's working set. The caller holds the state lock and decides whether
/// the working set is committed, which is how a batch stays all-or-nothing.
/// </summary>
internal sealed class RecordEditor(
    string zoneName,
    Dictionary<string, StoredRecord> records,
    EmulatorOptions options,
    DateTimeOffset now,
    Func<long> nextSequence)
{
    public (CloudflareRecord? Record, CfError? Error) Create(RecordInput input)
    {
        var (draft, error) = RecordRules.Normalise(zoneName, RecordRules.Merge(RecordRules.Defaults, input), options);
        if (error is not null) return (null, error);
        if (records.Count >= options.RecordQuotaPerZone) return (null, Cf.QuotaExceeded());
        var conflict = FindConflict(draft!, exceptId: null);
        if (conflict is not null) return (null, conflict);

        var record = ToRecord(draft!, NewId(), createdOn: now);
        records[record.Id] = new StoredRecord(record, nextSequence());
        return (record, null);
    }

    /// <summary>PUT: full replacement; omitted fields take their defaults.</summary>
    public (CloudflareRecord? Record, CfError? Error) Overwrite(string id, RecordInput input) =>
        Update(id, _ => RecordRules.Merge(RecordRules.Defaults, input));

    /// <summary>PATCH: only the fields sent change.</summary>
    public (CloudflareRecord? Record, CfError? Error) Patch(string id, RecordInput input) =>
        Update(id, existing => RecordRules.Merge(RecordRules.ToDraft(existing), input));

    public (CloudflareRecord? Record, CfError? Error) Delete(string id)
    {
        if (!records.Remove(id, out var stored)) return (null, Cf.RecordNotFound());
        return (stored.Record, null);
    }

    private (CloudflareRecord? Record, CfError? Error) Update(string id, Func<CloudflareRecord, RecordDraft> merge)
    {
        if (!records.TryGetValue(id, out var stored)) return (null, Cf.RecordNotFound());
        var (draft, error) = RecordRules.Normalise(zoneName, merge(stored.Record), options);
        if (error is not null) return (null, error);
        var conflict = FindConflict(draft!, exceptId: id);
        if (conflict is not null) return (null, conflict);

        var record = ToRecord(draft!, id, stored.Record.CreatedOn);
        records[id] = stored with { Record = record };
        return (record, null);
    }

    private CfError? FindConflict(RecordDraft draft, string? exceptId)
    {
        var sameName = records.Values
            .Select(s => s.Record)
            .Where(r => r.Id != exceptId && r.Name == draft.Name)
            .ToList();

        var contentComparison = draft.Type is "TXT" or "SPF" ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
        if (sameName.Any(r => r.Type == draft.Type && string.Equals(r.Content, draft.Content, contentComparison)))
        {
            return Cf.IdenticalRecord();
        }

        if (draft.Type == "CNAME" && sameName.Any(r => r.Type is "A" or "AAAA" or "CNAME")) return Cf.CnameConflictsWithAddress();
        if (draft.Type is "A" or "AAAA" && sameName.Any(r => r.Type == "CNAME")) return Cf.AddressConflictsWithCname();
        return null;
    }

    private CloudflareRecord ToRecord(RecordDraft d, string id, DateTimeOffset createdOn) => new()
    {
        Id = id,
        Name = d.Name!,
        Type = d.Type!,
        Content = d.Content!,
        Proxiable = RecordRules.IsProxiable(d.Type!),
        Proxied = d.Proxied,
        Ttl = d.Ttl,
        Priority = d.Priority,
        Settings = d.Settings,
        Comment = d.Comment,
        Tags = d.Tags,
        CreatedOn = createdOn,
        ModifiedOn = now,
    };

    private static string NewId() => Guid.NewGuid().ToString("N");
}
