using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using DnsSync.CloudflareEmulator.Hosting;

namespace DnsSync.CloudflareEmulator.Records;

/// <summary>A record's fields after merging a request body with defaults (POST/PUT) or the stored record (PATCH).</summary>
internal sealed record RecordDraft(
    string? Name,
    string? Type,
    string? Content,
    int Ttl,
    bool Proxied,
    int? Priority,
    string? Comment,
    IReadOnlyList<string> Tags,
    RecordSettings Settings);

/// <summary>Cloudflare's validation and normalisation of one record, independent of the other records.</summary>
internal static partial class RecordRules
{
    private static readonly HashSet<string> SupportedTypes =
        new(["A", "AAAA", "CNAME", "TXT", "MX", "NS", "PTR", "SPF"], StringComparer.OrdinalIgnoreCase);

    private static readonly HashSet<string> ProxiableTypes = new(["A", "AAAA", "CNAME"], StringComparer.Ordinal);

    public static bool IsProxiable(string type) => ProxiableTypes.Contains(type);

    public static RecordDraft Defaults => new(null, null, null, 1, false, null, null, [], new RecordSettings());

    public static RecordDraft Merge(RecordDraft baseline, RecordInput input) => new(
        input.Name.Or(baseline.Name),
        input.Type.Or(baseline.Type),
        input.Content.Or(baseline.Content),
        input.Ttl.Or(baseline.Ttl),
        input.Proxied.Or(baseline.Proxied),
        input.Priority.Or(baseline.Priority),
        input.Comment.Or(baseline.Comment),
        input.Tags.Or(baseline.Tags),
        input.Settings.Or(baseline.Settings));

    public static RecordDraft ToDraft(CloudflareRecord r) =>
        new(r.Name, r.Type, r.Content, r.Ttl, r.Proxied, r.Priority, r.Comment, r.Tags, r.Settings);

    /// <summary>Validates and normalises; the result has an FQDN name, canonical content and effective TTL.</summary>
    public static (RecordDraft? Draft, CfError? Error) Normalise(string zoneName, RecordDraft d, EmulatorOptions options)
    {
        if (string.IsNullOrWhiteSpace(d.Type)) return (null, Cf.DnsValidation("type is required."));
        if (!SupportedTypes.Contains(d.Type)) return (null, Cf.DnsValidation($"Unsupported record type '{d.Type}'."));
        var type = d.Type.ToUpperInvariant();

        if (d.Name is null) return (null, Cf.InvalidName());
        var name = NormaliseName(zoneName, d.Name);
        if (name is null) return (null, Cf.InvalidName());

        var (content, contentError) = NormaliseContent(type, d.Content, options);
        if (contentError is not null) return (null, contentError);

        if (d.Ttl != 1 && d.Ttl is < 60 or > 86400) return (null, Cf.InvalidTtl());
        if (d.Proxied && !IsProxiable(type)) return (null, Cf.NotProxiable());

        int? priority = null;
        if (type == "MX")
        {
            if (d.Priority is null) return (null, Cf.DnsValidation("priority is required for MX records."));
            priority = d.Priority;
        }

        if (d.Tags.Count > options.TagQuotaPerRecord) return (null, Cf.TooManyTags(d.Tags.Count, options.TagQuotaPerRecord));

        var comment = string.IsNullOrEmpty(d.Comment) ? null : d.Comment;
        if (comment is not null && (comment.Length > options.CommentMaxLength || comment.Contains('\n') || comment.Contains('\r')))
        {
            return (null, Cf.DnsValidation($"comment must be at most {options.CommentMaxLength} characters without line breaks."));
        }

        var settings = type switch
        {
            "CNAME" => new RecordSettings { FlattenCname = d.Settings.FlattenCname ?? false },
            "A" or "AAAA" => new RecordSettings { Ipv4Only = d.Settings.Ipv4Only, Ipv6Only = d.Settings.Ipv6Only },
            _ => new RecordSettings(),
        };

        // A proxied record's TTL is always "automatic".
        var ttl = d.Proxied ? 1 : d.Ttl;
        return (new RecordDraft(name, type, content, ttl, d.Proxied, priority, comment, d.Tags, settings), null);
    }

    /// <summary><c>@</c>, relative or FQDN (optionally with a trailing dot) → lower-case FQDN inside the zone; null if invalid.</summary>
    public static string? NormaliseName(string zoneName, string raw)
    {
        var name = raw.Trim();
        if (name.Length == 0) return null;
        if (name == "@") return zoneName;

        var absolute = name.EndsWith('.');
        if (absolute) name = name[..^1];
        name = ToAsciiLower(name);
        if (name is null) return null;

        if (name != zoneName && !name.EndsWith("." + zoneName, StringComparison.Ordinal))
        {
            // "www.other.org." is an absolute name outside the zone: refuse it rather than append the zone.
            if (absolute) return null;
            name = name + "." + zoneName;
        }

        return IsValidHostName(name, allowWildcard: true, allowUnderscore: true) ? name : null;
    }

    private static (string? Content, CfError? Error) NormaliseContent(string type, string? content, EmulatorOptions options)
    {
        switch (type)
        {
            case "A":
                return content is not null && Ipv4Regex().IsMatch(content) &&
                       IPAddress.TryParse(content, out var v4) && v4.AddressFamily == AddressFamily.InterNetwork
                    ? (v4.ToString(), null)
                    : (null, Cf.InvalidAddress("A", options.WrapAddressErrors));
            case "AAAA":
                return content is not null && content.Contains(':') && !content.Contains('%') &&
                       IPAddress.TryParse(content, out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6
                    ? (v6.ToString(), null)
                    : (null, Cf.InvalidAddress("AAAA", options.WrapAddressErrors));
            case "CNAME" or "MX" or "NS" or "PTR":
                var host = content?.Trim() ?? "";
                if (host.EndsWith('.')) host = host[..^1];
                host = ToAsciiLower(host) ?? "";
                if (IsValidHostName(host, allowWildcard: false, allowUnderscore: true)) return (host, null);
                return (null, type == "CNAME" ? Cf.InvalidCnameContent() : Cf.DnsValidation($"Content for {type} record must be a host name."));
            default:
                // TXT/SPF: stored exactly as given.
                if (string.IsNullOrEmpty(content)) return (null, Cf.DnsValidation("content is required."));
                if (content.Length > 2048) return (null, Cf.DnsValidation("content must be at most 2048 characters."));
                return (content, null);
        }
    }

    private static string? ToAsciiLower(string name)
    {
        if (name.All(char.IsAscii)) return name.ToLowerInvariant();
        try
        {
            return new IdnMapping().GetAscii(name).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static bool IsValidHostName(string name, bool allowWildcard, bool allowUnderscore)
    {
        if (name.Length is 0 or > 253) return false;
        var labels = name.Split('.');
        for (var i = 0; i < labels.Length; i++)
        {
            var label = labels[i];
            if (label.Length is 0 or > 63) return false;
            if (label == "*" && allowWildcard && i == 0) continue;
            if (label.StartsWith('-') || label.EndsWith('-')) return false;
            foreach (var c in label)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || (c == '_' && allowUnderscore))) return false;
            }
        }

        return true;
    }

    [GeneratedRegex(@"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$", RegexOptions.CultureInvariant)]
    private static partial Regex Ipv4Regex();
}
