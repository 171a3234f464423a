using System.Text.Json;
using System.Text.RegularExpressions;

namespace DnsSync.Benchmarks.Harness;

/// <summary>
/// One line of the emulator's request log (<c>GET /__emulator/requests</c>): Credential is the identity the request
/// was counted under (never a secret), Fault the kind of fault injected into it, if any.
/// </summary>
internal sealed record EmulatorRequest(string Method, string Path, string Query, int Status, DateTimeOffset Time, string? Credential = null, string? Fault = null);

/// <summary>Provider requests by kind, as counted from the emulator's request log.</summary>
internal sealed record ProviderRequestCount(long Total, long RateLimited, IReadOnlyDictionary<string, long> ByKind, TimeSpan Span);

/// <summary>
/// Counts what the worker cost in provider quota. Only Cloudflare routes count (the emulator logs no control
/// routes, and any that slipped in are ignored here); every request counts, refused ones included, because
/// Cloudflare counts every request a client sends against the token's budget except those it rate-limits.
/// </summary>
internal static partial class ProviderRequests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IReadOnlyList<EmulatorRequest> Parse(string json) =>
        JsonSerializer.Deserialize<List<EmulatorRequest>>(json, Json) ?? [];

    public static ProviderRequestCount Count(IEnumerable<EmulatorRequest> log)
    {
        var counted = log.Where(r => Kind(r.Method, r.Path) is not null).ToList();
        var byKind = counted.GroupBy(r => Kind(r.Method, r.Path)!).ToDictionary(g => g.Key, g => (long)g.Count());
        var span = counted.Count == 0 ? TimeSpan.Zero : counted.Max(r => r.Time) - counted.Min(r => r.Time);
        return new ProviderRequestCount(counted.Count, counted.Count(r => r.Status == 429), byKind, span);
    }

    /// <summary>
    /// create, batch, list, get, patch, put, delete, zones, verify or other; null for a non-Cloudflare route.
    /// The path may carry the <c>/client/v4</c> prefix.
    /// </summary>
    public static string? Kind(string method, string path)
    {
        if (path.StartsWith("/client/v4", StringComparison.OrdinalIgnoreCase)) path = path["/client/v4".Length..];
        if (path.StartsWith("/__emulator", StringComparison.Ordinal)) return null;
        var records = RecordsRoute().Match(path);
        if (records.Success)
        {
            var tail = records.Groups["tail"].Value;
            return (method.ToUpperInvariant(), tail) switch
            {
                ("POST", "") => "create",
                ("GET", "") => "list",
                ("POST", "/batch") => "batch",
                ("GET", _) => "get",
                ("PATCH", _) => "patch",
                ("PUT", _) => "put",
                ("DELETE", _) => "delete",
                _ => "other",
            };
        }
        if (path.StartsWith("/zones", StringComparison.OrdinalIgnoreCase)) return "zones";
        if (path.StartsWith("/user/tokens/verify", StringComparison.OrdinalIgnoreCase)) return "verify";
        return "other";
    }

    [GeneratedRegex("^/zones/[^/]+/dns_records(?<tail>/[^/?]+)?/?$", RegexOptions.IgnoreCase)]
    private static partial Regex RecordsRoute();
}
