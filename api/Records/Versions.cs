using System.Globalization;

namespace DnsSync.Api.Records;

/// <summary>
/// The version a change is based on: the body's <c>version</c> or the <c>If-Match</c> header (<c>"3"</c>, <c>W/"3"</c> or
/// <c>3</c>; <c>*</c> means any). Without either a change applies to whatever version the record is at, as before.
/// </summary>
internal static class Versions
{
    /// <summary><paramref name="errors"/> plus any problem with the version; <paramref name="version"/> is the one to require.</summary>
    public static IReadOnlyList<FieldError> Check(IReadOnlyList<FieldError> errors, long? body, string? ifMatch, out long? version)
    {
        version = body;
        if (string.IsNullOrWhiteSpace(ifMatch)) return errors;
        var text = ifMatch.Trim();
        if (text == "*") return errors;
        if (text.StartsWith("W/", StringComparison.Ordinal)) text = text[2..];
        text = text.Trim('"');
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var header) || header <= 0)
            return [.. errors, new FieldError("If-Match", $"If-Match must be the record's version, such as \"3\" (got '{Validation.Shorten(ifMatch)}')")];
        if (body is not null && body != header)
            return [.. errors, new FieldError("version", $"version {body} and If-Match {header} disagree: send one of them")];
        version = header;
        return errors;
    }

    public static bool IsStale(RecordDto current, long? version) => version is not null && current.Version != version;
}
