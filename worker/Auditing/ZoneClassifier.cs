using DnsSync.Shared.Audits;
using DnsSync.Shared.Records;
using DnsSync.Worker.Cloudflare;
using DnsSync.Worker.Reconciling;

namespace DnsSync.Worker.Auditing;

/// <summary>
/// Classifies every remote record of a listing and every present row of a domain (<see cref="AuditKind"/>): in sync;
/// ours and changed by hand (drift); ours and missing; marked as ours with no row that wants it (orphan); not ours at a
/// name and type a row manages (blocking); not ours elsewhere (unmanaged). What is "ours" follows the reconciler:
/// the record a row's provider_record_id names, or one carrying this installation's marker for the row
/// (<see cref="OwnershipMarker"/>). Rows being changed are not judged, nor records they may touch.
/// </summary>
internal static class ZoneClassifier
{
    /// <param name="scope">The domain and which names of the listing belong to it.</param>
    /// <param name="listing">Every record of the provider zone, listed from <paramref name="listedAt"/> on.</param>
    /// <param name="rows">Every row of the domain, read after the listing.</param>
    /// <param name="markedRows">The rows (of any domain) whose ids markers in the listing name.</param>
    /// <param name="installation">This installation's id in markers.</param>
    /// <param name="listedAt">When the listing started (database clock): rows synced since are not judged.</param>
    public static AuditFindings Classify(AuditScope scope, IReadOnlyList<CloudflareDnsRecord> listing, IReadOnlyList<AuditRow> rows,
        IReadOnlyDictionary<long, AuditRow> markedRows, string installation, DateTime listedAt)
    {
        var inScope = listing.Where(r => scope.Contains(r.Name)).ToList();
        var byId = listing.GroupBy(r => r.Id).ToDictionary(g => g.Key, g => g.First());
        var present = rows.Where(r => r.IsPresent).ToList();
        var findings = new AuditFindings { RemoteRecords = inScope.Count, ManagedRecords = present.Count };
        var accounted = new HashSet<string>(StringComparer.Ordinal);
        var markedFor = inScope
            .Select(r => (Remote: r, Marker: OwnershipMarker.Parse(r.Comment)))
            .Where(m => m.Marker is { } marker && (marker.Installation is null || marker.Installation == installation))
            .ToLookup(m => m.Marker!.RowId, m => m.Remote);

        foreach (var row in rows)
        {
            if (!row.IsSettled(listedAt))
            {
                // Being changed: its record, and any copy marked for it, are the worker's to settle.
                if (row.IsPresent) findings.Unjudged++;
                if (row.ProviderRecordId is { } pid) accounted.Add(pid);
                foreach (var copy in markedFor[row.Id]) accounted.Add(copy.Id);
                continue;
            }
            if (byId.TryGetValue(row.ProviderRecordId!, out var remote) && row.SameNameAndType(remote))
            {
                accounted.Add(remote.Id);
                var differences = RemoteRecords.Differences(row.Type, row.Value, row.Ttl, row.Proxied, remote);
                if (differences.Count == 0) findings.InSync++;
                else findings.Add(new Finding(AuditKind.Drift, remote,
                    $"{AuditMessages.DriftPrefix}changed at cloudflare: {string.Join(", ", differences)}; repairing") { Row = row });
                continue;
            }
            // Gone, or renamed by hand (the renamed record is then judged on its own). A copy still marked for the row at
            // its name is adopted by the re-creation's lookup instead of a second record being made.
            var copies = markedFor[row.Id].Where(row.SameNameAndType).ToList();
            foreach (var copy in copies) accounted.Add(copy.Id);
            var where = remote is null ? "is missing at cloudflare (deleted by hand?)" : $"is now {remote.Type} {remote.Name} at cloudflare";
            findings.Add(new Finding(AuditKind.Missing, null,
                $"{AuditMessages.DriftPrefix}record {row.ProviderRecordId} {where}; recreating") { Row = row, LookFirst = copies.Count > 0 });
        }

        var presentByName = present.ToLookup(r => r.Fqdn.ToLowerInvariant());
        foreach (var remote in inScope.Where(r => !accounted.Contains(r.Id)))
        {
            if (OwnershipMarker.Parse(remote.Comment) is { } marker && (marker.Installation is null || marker.Installation == installation))
            {
                findings.Add(Orphan(remote, marker.RowId, markedRows.GetValueOrDefault(marker.RowId), listedAt, findings));
                continue;
            }
            var blocked = presentByName[Lower(remote.Name)].Where(r => Shadows(remote.Type, r.Type)).ToList();
            if (blocked.Count > 0)
            {
                findings.Add(new Finding(AuditKind.Blocking, remote,
                    $"{AuditMessages.BlockedPrefix}{remote.Type} {Lower(remote.Name)} '{remote.Content}' (id {remote.Id}) at cloudflare is not this installation's{OtherMarker(remote)}")
                    { Row = blocked[0], BlockedRows = blocked });
                continue;
            }
            findings.Add(new Finding(AuditKind.Unmanaged, remote, $"not managed here{OtherMarker(remote)}")
            {
                Importable = IsImportable(remote),
            });
        }
        findings.Rows = rows;
        return findings;
    }

    /// <summary>A record marked for row <paramref name="rowId"/> of this installation: an orphan unless that row is still being settled.</summary>
    private static Finding Orphan(CloudflareDnsRecord remote, long rowId, AuditRow? row, DateTime listedAt, AuditFindings findings)
    {
        var reason = row switch
        {
            null => $"row {rowId} does not exist",
            _ when !row.SameNameAndType(remote) => $"row {rowId} is {row.Type} {row.Fqdn}",
            _ when !row.IsPresent => $"row {rowId} is being deleted",
            _ => $"row {rowId} uses record {row.ProviderRecordId}",
        };
        if (row is not null && row.SameNameAndType(remote) && !row.IsSettled(listedAt))
        {
            // A copy the row's own sync may still adopt or delete.
            findings.Unjudged++;
            return new Finding(AuditKind.Orphan, remote, "") { Unjudged = true };
        }
        return new Finding(AuditKind.Orphan, remote, $"marked as this installation's, but {reason}");
    }

    /// <summary>A record of <paramref name="remoteType"/> changes what a row of <paramref name="rowType"/> at its name answers: same type, or CNAME exclusivity.</summary>
    private static bool Shadows(string remoteType, string rowType) =>
        string.Equals(remoteType, rowType, StringComparison.OrdinalIgnoreCase)
        || (RecordRules.IsProxiable(rowType) && remoteType is "A" or "AAAA" or "CNAME" && (rowType == "CNAME" || remoteType == "CNAME"));

    /// <summary>An unmarked record of a managed type whose content and TTL our rules accept: it can become a row.</summary>
    private static bool IsImportable(CloudflareDnsRecord remote) =>
        !OwnershipMarker.IsMarked(remote.Comment) && RecordRules.Types.Contains(remote.Type)
        && RecordRules.TryNormalizeContent(remote.Type, remote.Content, out _, out _) && RecordRules.IsValidTtl(remote.Ttl)
        && (!remote.Proxied || RecordRules.IsProxiable(remote.Type));

    private static string OtherMarker(CloudflareDnsRecord remote) =>
        OwnershipMarker.IsMarked(remote.Comment) ? $" (marked '{remote.Comment}': another installation's)" : "";

    public static bool SameName(string remoteName, string fqdn) => string.Equals(remoteName.TrimEnd('.'), fqdn, StringComparison.OrdinalIgnoreCase);

    private static string Lower(string name) => name.TrimEnd('.').ToLowerInvariant();
}
