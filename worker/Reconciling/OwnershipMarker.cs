using System.Globalization;

namespace DnsSync.Worker.Reconciling;

/// <summary>
/// The comment on every remote record a row creates: <c>dns-sync:&lt;installation&gt;:&lt;row id&gt;</c>. The
/// installation id (the <c>installation</c> table, generated once per database; DnsWorker:InstallationId overrides
/// it) keeps two installations sharing a zone, or a restored copy reusing row ids, from taking each other's records
/// for their own. The first release wrote <c>dns-sync:&lt;row id&gt;</c>; that form is still read as this
/// installation's.
/// </summary>
internal sealed record OwnershipMarker(string? Installation, long RowId)
{
    public const string Prefix = "dns-sync:";

    public static string For(string installation, long rowId) =>
        string.Create(CultureInfo.InvariantCulture, $"{Prefix}{installation}:{rowId}");

    /// <summary>True when the comment is any dns-sync marker (ours, another row's, another installation's, or malformed).</summary>
    public static bool IsMarked(string? comment) => comment?.StartsWith(Prefix, StringComparison.Ordinal) == true;

    /// <summary>True when the comment marks the record as row <paramref name="rowId"/>'s of <paramref name="installation"/>.</summary>
    public static bool IsOwnedBy(string? comment, string installation, long rowId) =>
        Parse(comment) is { } marker && marker.RowId == rowId
        && (marker.Installation is null || marker.Installation == installation);

    public static OwnershipMarker? Parse(string? comment)
    {
        if (!IsMarked(comment)) return null;
        var parts = comment![Prefix.Length..].Split(':');
        return parts switch
        {
            [var id] when long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var rowId) => new(null, rowId),
            [var installation, var id] when installation.Length > 0
                && long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var rowId) => new(installation, rowId),
            _ => null,
        };
    }
}
