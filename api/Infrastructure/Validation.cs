using System.Globalization;

namespace DnsSync.Api.Infrastructure;

/// <summary>Page-number paging (<c>page</c>) or keyset paging (<c>after</c>: the <c>nextCursor</c> of the page before).</summary>
internal sealed record Paging(int Page, int PageSize, long? After)
{
    /// <summary>Rows to skip: none with a cursor, since the cursor already says where the page starts.</summary>
    public long Skip => After is null ? (long)(Page - 1) * PageSize : 0;

    /// <summary>The cursor of the page after one whose last row is <paramref name="lastId"/>, or null when it was the last page.</summary>
    public static string? CursorAfter(long lastId, bool more) => more ? lastId.ToString(CultureInfo.InvariantCulture) : null;
}

/// <summary>Collects every invalid field of a request, so one 400 lists them all.</summary>
internal sealed class Validation(string prefix = "")
{
    public const int MaxPageSize = 100;
    public const int MaxIds = 1000;

    private readonly List<FieldError> _errors = [];

    public bool IsValid => _errors.Count == 0;
    public IReadOnlyList<FieldError> Errors => _errors;

    /// <summary>Adds an error; the message names the field as the client spelled it (with the prefix, e.g. <c>records[3].</c>).</summary>
    public void Add(string field, string message) =>
        _errors.Add(new FieldError(prefix + field, prefix.Length == 0 ? message : $"{prefix}{message}"));

    /// <summary>Parses an optional positive id from a query string value.</summary>
    public long? OptionalId(string field, string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw)) return null;
        if (long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0) return id;
        Add(field, $"{field} must be a positive integer (got '{Shorten(raw)}')");
        return null;
    }

    /// <summary>Parses an optional non-negative integer from a query string value.</summary>
    public long? OptionalNonNegative(string field, string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw)) return null;
        if (long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var value)) return value;
        Add(field, $"{field} must be a non-negative integer (got '{Shorten(raw)}')");
        return null;
    }

    /// <summary>An optional value that must be one of <paramref name="allowed"/> (compared case-insensitively, returned as listed).</summary>
    public string? OptionalOneOf(string field, string? raw, IReadOnlyList<string> allowed)
    {
        if (string.IsNullOrWhiteSpace(raw)) return null;
        var match = allowed.FirstOrDefault(a => string.Equals(a, raw.Trim(), StringComparison.OrdinalIgnoreCase));
        if (match is null) Add(field, $"{field} must be one of {string.Join(", ", allowed)} (got '{Shorten(raw)}')");
        return match;
    }

    /// <summary>page ≥ 1 (default 1), 1 ≤ pageSize ≤ 100 (default 20), and an optional cursor (with page 1 only).</summary>
    public Paging Paging(string? rawPage, string? rawPageSize, string? rawAfter = null)
    {
        var page = 1;
        var pageSize = 20;
        if (!string.IsNullOrWhiteSpace(rawPage) && !(int.TryParse(rawPage, NumberStyles.None, CultureInfo.InvariantCulture, out page) && page >= 1))
        {
            Add("page", $"page must be an integer of at least 1 (got '{Shorten(rawPage)}')");
            page = 1;
        }
        if (!string.IsNullOrWhiteSpace(rawPageSize) && !(int.TryParse(rawPageSize, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) && pageSize is >= 1 and <= MaxPageSize))
        {
            Add("pageSize", $"pageSize must be an integer from 1 to {MaxPageSize} (got '{Shorten(rawPageSize)}')");
            pageSize = 20;
        }
        long? after = null;
        if (!string.IsNullOrWhiteSpace(rawAfter))
        {
            if (long.TryParse(rawAfter, NumberStyles.None, CultureInfo.InvariantCulture, out var cursor) && cursor > 0) after = cursor;
            else Add("after", $"after must be the nextCursor of an earlier page (got '{Shorten(rawAfter)}')");
            if (page != 1) Add("page", "page and after cannot be combined: after already says where the page starts");
        }
        return new Paging(page, pageSize, after);
    }

    /// <summary>A list of 1..1000 positive ids, as delete endpoints take.</summary>
    public long[] Ids(long[]? ids)
    {
        if (ids is null || ids.Length == 0)
            Add("ids", $"ids must list 1 to {MaxIds} record ids");
        else if (ids.Length > MaxIds)
            Add("ids", $"ids must list at most {MaxIds} ids (got {ids.Length})");
        else if (ids.Any(id => id <= 0))
            Add("ids", "every id in ids must be a positive integer");
        else
            return ids.Distinct().ToArray();
        return [];
    }

    public static string Shorten(string s) => s.Length <= 64 ? s : s[..61] + "...";
}
