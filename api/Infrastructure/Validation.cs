namespace DnsSync.Api.Infrastructure;

/// <summary>Collects every invalid field of a request, so one 400 lists them all.</summary>
internal sealed class Validation
{
    private readonly List<FieldError> _errors = [];

    public bool IsValid => _errors.Count == 0;
    public IReadOnlyList<FieldError> Errors => _errors;

    public void Add(string field, string message) => _errors.Add(new FieldError(field, message));

    /// <summary>Parses an optional positive id from a query string value.</summary>
    public long? OptionalId(string field, string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw)) return null;
        if (long.TryParse(raw, System.Globalization.NumberStyles.None, null, out var id) && id > 0) return id;
        Add(field, $"{field} must be a positive integer (got '{Shorten(raw)}')");
        return null;
    }

    /// <summary>Parses an optional non-negative integer from a query string value.</summary>
    public long? OptionalNonNegative(string field, string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw)) return null;
        if (long.TryParse(raw, System.Globalization.NumberStyles.None, null, out var value)) return value;
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

    /// <summary>page ≥ 1 (default 1) and 1 ≤ pageSize ≤ 100 (default 20).</summary>
    public (int Page, int PageSize) Paging(string? rawPage, string? rawPageSize)
    {
        var page = 1;
        var pageSize = 20;
        if (!string.IsNullOrWhiteSpace(rawPage) && !(int.TryParse(rawPage, System.Globalization.NumberStyles.None, null, out page) && page >= 1))
        {
            Add("page", $"page must be an integer of at least 1 (got '{Shorten(rawPage)}')");
            page = 1;
        }
        if (!string.IsNullOrWhiteSpace(rawPageSize) && !(int.TryParse(rawPageSize, System.Globalization.NumberStyles.None, null, out pageSize) && pageSize is >= 1 and <= MaxPageSize))
        {
            Add("pageSize", $"pageSize must be an integer from 1 to {MaxPageSize} (got '{Shorten(rawPageSize)}')");
            pageSize = 20;
        }
        return (page, pageSize);
    }

    /// <summary>A list of 1..1000 positive ids, as delete endpoints take.</summary>
    public long[] Ids(long[]? ids)
    {
        if (ids is null || ids.Length == 0)
            Add("ids", "ids must list 1 to 1000 record ids");
        else if (ids.Length > MaxIds)
            Add("ids", $"ids must list at most {MaxIds} ids (got {ids.Length})");
        else if (ids.Any(id => id <= 0))
            Add("ids", "every id in ids must be a positive integer");
        else
            return ids.Distinct().ToArray();
        return [];
    }

    public const int MaxPageSize = 100;
    public const int MaxIds = 1000;

    public static string Shorten(string s) => s.Length <= 64 ? s : s[..61] + "...";
}
