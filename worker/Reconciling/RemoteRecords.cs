using DnsSync.Shared.Records;
using DnsSync.Worker.Claiming;
using DnsSync.Worker.Cloudflare;

namespace DnsSync.Worker.Reconciling;

/// <summary>
/// Which remote records at a row's name and type are its to keep, change or delete. Used alike by the per-row path
/// (after a lookup by name) and the zone path (after one listing of the zone).
/// </summary>
internal static class RemoteRecords
{
    /// <summary>
    /// For a present row whose record may exist: the first remote record marked as ours with our content, else any
    /// marked as ours, else an unmarked one with our content that no other row references (made by hand, or by the
    /// seed); and the further copies marked as ours, which are deleted.
    /// </summary>
    public static (CloudflareDnsRecord? Keep, IReadOnlyList<CloudflareDnsRecord> Extras) ForPresent(
        ClaimedRecord record, Ownership ours, IEnumerable<CloudflareDnsRecord> remote, Claims claims)
    {
        var free = remote.Where(r => !claims.IsReferencedByOther(r)).ToList();
        var mine = free.Where(ours.Owns).ToList();
        var keep = mine.FirstOrDefault(r => RecordRules.ContentEquals(record.Type, record.Value, r.Content))
            ?? mine.FirstOrDefault()
            ?? free.FirstOrDefault(r => !OwnershipMarker.IsMarked(r.Comment) && RecordRules.ContentEquals(record.Type, record.Value, r.Content));
        return (keep, keep is null ? [] : mine.Where(r => r.Id != keep.Id).ToList());
    }

    /// <summary>
    /// For an absent row without a saved id: the remote records that are its own — marked as ours, or unmarked with its
    /// content when no other row references them or still wants that content.
    /// </summary>
    public static IReadOnlyList<CloudflareDnsRecord> Doomed(
        ClaimedRecord record, Ownership ours, IEnumerable<CloudflareDnsRecord> remote, Claims claims) =>
        remote.Where(r => !claims.IsReferencedByOther(r)
            && (ours.Owns(r)
                || (!OwnershipMarker.IsMarked(r.Comment) && RecordRules.ContentEquals(record.Type, record.Value, r.Content)
                    && !claims.PresentWithValue(record.Type, r.Content))))
            .ToList();

    /// <summary>True when the remote record already holds what the row declares (proxied TTL 1 counts as equal).</summary>
    public static bool Matches(ClaimedRecord record, CloudflareDnsRecord remote) =>
        Differences(record.Type, record.Value, record.Ttl, record.Proxied, remote).Count == 0;

    /// <summary>
    /// What of content, TTL and proxied the remote record holds other than declared, as "what (declared …)" phrases;
    /// empty when it matches (proxied TTL 1 counts as equal).
    /// </summary>
    public static IReadOnlyList<string> Differences(string type, string value, int ttl, bool proxied, CloudflareDnsRecord remote)
    {
        var differences = new List<string>(3);
        if (!RecordRules.ContentEquals(type, value, remote.Content)) differences.Add($"content '{remote.Content}' (declared '{value}')");
        if (remote.Proxied != proxied) differences.Add($"proxied {(remote.Proxied ? "true" : "false")} (declared {(proxied ? "true" : "false")})");
        else if (!RecordRules.TtlEquals(proxied, ttl, remote.Ttl)) differences.Add($"ttl {remote.Ttl} (declared {ttl})");
        return differences;
    }

    /// <summary>The fields a patch sends: content, TTL (1 when proxied) and proxied.</summary>
    public static RecordBody DesiredFields(ClaimedRecord record, string? id = null) => new()
    {
        Id = id,
        Content = record.Value,
        Ttl = record.Proxied ? RecordRules.AutomaticTtl : record.Ttl,
        Proxied = record.Proxied,
    };

    /// <summary>A first create: the full record with the row's ownership marker.</summary>
    public static RecordBody NewRecord(ClaimedRecord record, Ownership ours) => new()
    {
        Type = record.Type,
        Name = record.Fqdn,
        Content = record.Value,
        Ttl = record.Proxied ? RecordRules.AutomaticTtl : record.Ttl,
        Proxied = record.Proxied,
        Comment = ours.Marker,
    };
}

/// <summary>Which remote records are a row's own: marked with its marker (or the first release's form of it).</summary>
internal sealed class Ownership(ClaimedRecord record, string installation)
{
    public string Marker { get; } = OwnershipMarker.For(installation, record.Id);

    public bool Owns(CloudflareDnsRecord remote) => OwnershipMarker.IsOwnedBy(remote.Comment, installation, record.Id);
}

/// <summary>The other rows sharing a row's domain and name: remote records they point at are off limits.</summary>
internal sealed class Claims
{
    private readonly IReadOnlyList<SiblingRow> sameType;
    private readonly IReadOnlyList<SiblingRow> otherTypes;

    private Claims(ClaimedRecord record, IEnumerable<SiblingRow> siblings)
    {
        var all = siblings.ToList();
        sameType = all.Where(s => s.Type == record.Type).ToList();
        otherTypes = all.Where(s => s.Type != record.Type).ToList();
    }

    public static Claims For(ClaimedRecord record, ILookup<long, SiblingRow> siblings) => new(record, siblings[record.Id]);

    public bool IsReferencedByOther(CloudflareDnsRecord remote) => sameType.Any(s => s.ProviderRecordId == remote.Id);

    public bool PresentWithValue(string type, string content) =>
        sameType.Any(s => s.DesiredState == DesiredState.Present && RecordRules.ContentEquals(type, s.Value, content));

    /// <summary>A present row of the same type that points at <paramref name="providerRecordId"/> (it still needs the record).</summary>
    public bool SharedWithPresent(string providerRecordId) =>
        sameType.Any(s => s.ProviderRecordId == providerRecordId && s.DesiredState == DesiredState.Present);

    /// <summary>
    /// A row of another type at this name on its way out (a CNAME replacing an A) whose delete is pending or in flight
    /// at another worker. One stuck in error is not waited for: its failure is the user's to see.
    /// </summary>
    public SiblingRow? Leaving => otherTypes.FirstOrDefault(s => s.DesiredState == DesiredState.Absent && s.ProviderRecordId is not null
        && s.Status is RecordStatus.Pending or RecordStatus.Running);
}
