namespace DnsSync.Testing;

/// <summary>A row of domain_dns_records as the stale-duplicate check needs it; <see cref="Fqdn"/> is its remote name.</summary>
public sealed record IntentRow(long Id, string Type, string Fqdn, string? ProviderRecordId, bool Present);

/// <summary>A record at the provider as the stale-duplicate check needs it.</summary>
public sealed record RemoteRecord(string Id, string Type, string Name, string? Comment);

/// <summary>
/// The duplicates the worker can really leave behind. The provider refuses a second identical record (81058), so
/// counting identical records measures the provider, not us. What can happen is a stale copy:
/// <list type="bullet">
/// <item>a remote record carrying a row's marker (a comment <c>dns-sync:&lt;row id&gt;</c>, or any comment starting
/// with <c>dns-sync:</c> whose last <c>:</c>-separated part is the row id) that the row does not point at
/// (provider_record_id), for instance the first record of a create that was sent twice, or the old record of an
/// update made as a create;</item>
/// <item>a second remote record at a present row's type and name that no row points at (other content).</item>
/// </list>
/// </summary>
public static class StaleDuplicates
{
    public const string MarkerPrefix = "dns-sync:";

    /// <summary>The row id of a dns-sync marker, in either form; false for any other comment.</summary>
    public static bool TryParseMarker(string? comment, out long rowId)
    {
        rowId = 0;
        if (comment is null || !comment.StartsWith(MarkerPrefix, StringComparison.Ordinal)) return false;
        return long.TryParse(comment[(comment.LastIndexOf(':') + 1)..], System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out rowId);
    }

    /// <summary>One line per stale remote record (each record at most once), saying whose copy it is.</summary>
    public static IReadOnlyList<string> Find(IEnumerable<IntentRow> rows, IEnumerable<RemoteRecord> remote)
    {
        var rowList = rows.ToList();
        var byId = rowList.ToDictionary(r => r.Id);
        var referenced = rowList.Where(r => r.ProviderRecordId is not null).Select(r => r.ProviderRecordId!).ToHashSet(StringComparer.Ordinal);
        var found = new List<string>();
        foreach (var record in remote)
        {
            if (TryParseMarker(record.Comment, out var owner))
            {
                if (!byId.TryGetValue(owner, out var row))
                {
                    found.Add($"{Describe(record)} carries the marker of row {owner}, which no longer exists");
                    continue;
                }
                if (row.ProviderRecordId != record.Id)
                {
                    found.Add($"{Describe(record)} carries the marker of row {owner}, which points at {row.ProviderRecordId ?? "nothing"}");
                    continue;
                }
            }
            if (referenced.Contains(record.Id)) continue;
            var sameName = rowList.FirstOrDefault(r => r.Present && r.ProviderRecordId is not null
                && string.Equals(r.Type, record.Type, StringComparison.OrdinalIgnoreCase)
                && string.Equals(r.Fqdn.TrimEnd('.'), record.Name.TrimEnd('.'), StringComparison.OrdinalIgnoreCase));
            if (sameName is not null)
                found.Add($"{Describe(record)} is a second record at the name of row {sameName.Id}, which points at {sameName.ProviderRecordId}");
        }
        return found;
    }

    private static string Describe(RemoteRecord r) => $"remote record {r.Id} ({r.Type} {r.Name}, comment {r.Comment ?? "none"})";
}
