using System.Net;
using System.Net.Sockets;

namespace DnsSync.Shared.Records;

/// <summary>
/// The record rules both hosts share: which types exist, how names and content are normalised,
/// and what is valid. The API validates with them; the worker compares local intent with the
/// provider's records through them, so both sides agree on what "the same record" means.
/// </summary>
public static class RecordRules
{
    /// <summary>Record types dns-sync manages.</summary>
    public static readonly IReadOnlyList<string> Types = ["A", "AAAA", "CNAME", "TXT"];

    /// <summary>Types Cloudflare can proxy.</summary>
    public static readonly IReadOnlyList<string> ProxiableTypes = ["A", "AAAA", "CNAME"];

    /// <summary>Values of owner_type.</summary>
    public static readonly IReadOnlyList<string> OwnerTypes = ["node_group", "line_group", "website_domain", "acme_challenge", "external"];

    /// <summary>TTL 1 means "automatic" at Cloudflare.</summary>
    public const int AutomaticTtl = 1;
    public const int MinTtl = 60;
    public const int MaxTtl = 86400;
    public const int MaxTxtLength = 2048;
    public const int MaxNameLength = 253;

    /// <summary>True when <paramref name="ttl"/> is 1 (automatic) or within 60–86400.</summary>
    public static bool IsValidTtl(int ttl) => ttl == AutomaticTtl || ttl is >= MinTtl and <= MaxTtl;

    /// <summary>True when records of <paramref name="type"/> may be proxied.</summary>
    public static bool IsProxiable(string type) => ProxiableTypes.Contains(type);

    /// <summary>Upper-cases a type and checks it is one we manage.</summary>
    public static bool TryNormalizeType(string? type, out string normalized)
    {
        normalized = type?.Trim().ToUpperInvariant() ?? "";
        return Types.Contains(normalized);
    }

    /// <summary>
    /// Normalises a record name to its stored, zone-relative form: lower case, no trailing dot,
    /// <c>@</c> for the apex. <c>www</c>, <c>www.example.com</c> and <c>WWW.example.com.</c> all give <c>www</c>.
    /// A name with a trailing dot is absolute and must lie inside the zone.
    /// </summary>
    public static bool TryNormalizeName(string zone, string? name, out string normalized, out string error)
    {
        normalized = "";
        error = "";
        zone = NormalizeZone(zone);
        var candidate = name?.Trim() ?? "";
        if (candidate.Length == 0)
        {
            error = "name is required: use '@' for the zone apex, or a label such as 'www'";
            return false;
        }
        if (candidate is "@")
        {
            normalized = "@";
            return true;
        }

        var absolute = candidate.EndsWith('.');
        if (!TryToAscii(candidate.TrimEnd('.'), out var ascii))
        {
            error = $"name '{name}' is not a valid internationalised domain name";
            return false;
        }
        if (ascii == zone)
        {
            normalized = "@";
            return true;
        }
        if (ascii.EndsWith("." + zone, StringComparison.Ordinal))
            ascii = ascii[..^(zone.Length + 1)];
        else if (absolute)
        {
            error = $"name '{name}' ends with a dot but is not inside the zone '{zone}'";
            return false;
        }

        if (ToFqdn(zone, ascii).Length > MaxNameLength)
        {
            error = $"name '{name}' makes a full name longer than {MaxNameLength} characters";
            return false;
        }
        if (!ValidLabels(ascii, allowWildcard: true, out var labelError))
        {
            error = $"name '{name}' is invalid: {labelError}";
            return false;
        }
        normalized = ascii;
        return true;
    }

    /// <summary>The fully qualified name of a stored name: <c>@</c> → zone, <c>www</c> → <c>www.zone</c>.</summary>
    public static string ToFqdn(string zone, string name)
    {
        zone = NormalizeZone(zone);
        var n = name.Trim().TrimEnd('.').ToLowerInvariant();
        if (n is "" or "@" || n == zone) return zone;
        return n.EndsWith("." + zone, StringComparison.Ordinal) ? n : $"{n}.{zone}";
    }

    /// <summary>Lower case, no trailing dot.</summary>
    public static string NormalizeZone(string zone) => zone.Trim().TrimEnd('.').ToLowerInvariant();

    /// <summary>Checks a zone (domain) name: at least two labels, valid host-name labels, ≤ 253 characters.</summary>
    public static bool TryNormalizeDomain(string? domain, out string normalized, out string error)
    {
        error = "";
        normalized = "";
        var candidate = NormalizeZone(domain ?? "");
        if (!TryToAscii(candidate, out var ascii) || ascii.Length is 0 or > MaxNameLength || !ascii.Contains('.')
            || !ValidLabels(ascii, allowWildcard: false, out _) || ascii.Contains('_'))
        {
            error = $"domain '{domain}' is not a valid domain name such as 'example.com'";
            return false;
        }
        normalized = ascii;
        return true;
    }

    /// <summary>
    /// Validates content for <paramref name="type"/> and returns its canonical form: IPv4 dotted quad,
    /// IPv6 compressed lower case, CNAME target lower case without trailing dot, TXT as given.
    /// </summary>
    public static bool TryNormalizeContent(string type, string? value, out string normalized, out string error)
    {
        normalized = "";
        error = "";
        var raw = value ?? "";
        switch (type)
        {
            case "A":
                if (IsStrictIPv4(raw.Trim()))
                {
                    normalized = IPAddress.Parse(raw.Trim()).ToString();
                    return true;
                }
                error = $"value '{Shorten(raw)}' is not an IPv4 address such as 192.0.2.10";
                return false;
            case "AAAA":
                if (raw.Contains(':') && !raw.Contains('%') && IPAddress.TryParse(raw.Trim(), out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6)
                {
                    normalized = v6.ToString();
                    return true;
                }
                error = $"value '{Shorten(raw)}' is not an IPv6 address such as 2001:db8::10";
                return false;
            case "CNAME":
                var target = raw.Trim().TrimEnd('.').ToLowerInvariant();
                if (target.Length is > 0 and <= MaxNameLength && TryToAscii(target, out var asciiTarget)
                    && ValidLabels(asciiTarget, allowWildcard: false, out _))
                {
                    normalized = asciiTarget;
                    return true;
                }
                error = $"value '{Shorten(raw)}' is not a host name such as target.example.net";
                return false;
            case "TXT":
                if (raw.Length is 0 or > MaxTxtLength)
                {
                    error = $"value must be 1 to {MaxTxtLength} characters for TXT records (got {raw.Length})";
                    return false;
                }
                if (raw.Any(c => c is '\0' or '\r' or '\n'))
                {
                    error = "value must not contain NUL or line breaks";
                    return false;
                }
                normalized = raw;
                return true;
            default:
                error = $"type must be one of {string.Join(", ", Types)}";
                return false;
        }
    }

    /// <summary>True when two contents of <paramref name="type"/> denote the same record data.</summary>
    public static bool ContentEquals(string type, string? left, string? right)
    {
        if (TryNormalizeContent(type, left, out var l, out _) && TryNormalizeContent(type, right, out var r, out _))
            return string.Equals(l, r, StringComparison.Ordinal);
        return string.Equals(left, right, StringComparison.Ordinal);
    }

    /// <summary>
    /// True when a provider's TTL matches the intended one: a proxied record always reads back TTL 1
    /// at Cloudflare, which is not drift.
    /// </summary>
    public static bool TtlEquals(bool proxied, int intended, int actual) => proxied || intended == actual;

    private static bool IsStrictIPv4(string s)
    {
        var parts = s.Split('.');
        return parts.Length == 4 && parts.All(p =>
            p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit) && (p.Length == 1 || p[0] != '0') && int.Parse(p) <= 255);
    }

    private static bool ValidLabels(string name, bool allowWildcard, out string error)
    {
        error = "";
        var labels = name.Split('.');
        for (var i = 0; i < labels.Length; i++)
        {
            var label = labels[i];
            if (label == "*" && allowWildcard && i == 0) continue;
            if (label.Length is 0 or > 63)
            {
                error = "every label must be 1 to 63 characters";
                return false;
            }
            if (!label.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_'))
            {
                error = $"label '{label}' may contain only letters, digits, '-' and '_'";
                return false;
            }
            if (label[0] == '-' || label[^1] == '-')
            {
                error = $"label '{label}' must not start or end with '-'";
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Lower-case ASCII form of a name: Unicode labels become punycode by UTS-46 (non-transitional, IDNA2008), so
    /// <c>bücher.de</c> and <c>BÜCHER.de</c> both give <c>xn--bcher-kva.de</c> and <c>faß.de</c> gives <c>xn--fa-hia.de</c>.
    /// That mapping needs ICU: under invariant globalization .NET's IdnMapping skips it (upper case and compatibility
    /// characters would give other punycode), so there a non-ASCII name is refused rather than stored wrong.
    /// A leading <c>*.</c> (wildcard) is kept as it is.
    /// </summary>
    private static bool TryToAscii(string name, out string ascii)
    {
        ascii = name.ToLowerInvariant();
        if (name.All(char.IsAscii)) return true;
        if (InvariantGlobalization) return false;
        var wildcard = name.StartsWith("*.", StringComparison.Ordinal) ? "*." : "";
        try
        {
            ascii = wildcard + new System.Globalization.IdnMapping().GetAscii(name[wildcard.Length..]).ToLowerInvariant();
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static readonly bool InvariantGlobalization =
        AppContext.TryGetSwitch("System.Globalization.Invariant", out var invariant) && invariant;

    private static string Shorten(string s) => s.Length <= 64 ? s : s[..61] + "...";
}
