using DnsSync.CloudflareEmulator.Hosting;

namespace DnsSync.CloudflareEmulator.Records;

/// <summary>The list filters of <c>GET /zones/{id}/dns_records</c>; every comparison is case-insensitive, as Cloudflare's.</summary>
internal static class RecordFilter
{
    private static readonly string[] Operators = ["exact", "contains", "startswith", "endswith"];

    public static (Func<CloudflareRecord, bool>? Filter, CfError? Error) Parse(IQueryCollection query)
    {
        var predicates = new List<Func<CloudflareRecord, bool>>();

        var type = query["type"].ToString();
        if (type.Length > 0) predicates.Add(r => string.Equals(r.Type, type, StringComparison.OrdinalIgnoreCase));

        AddTextFilters(query, "name", r => r.Name, v => v.EndsWith('.') ? v[..^1] : v, predicates);
        AddTextFilters(query, "content", r => r.Content, v => v, predicates);

        if (query.TryGetValue("proxied", out var proxiedValue))
        {
            if (!bool.TryParse(proxiedValue, out var proxied)) return (null, Cf.DnsValidation("proxied must be true or false."));
            predicates.Add(r => r.Proxied == proxied);
        }

        var match = query["match"].ToString();
        if (match.Length > 0 && match is not ("all" or "any")) return (null, Cf.DnsValidation("match must be 'all' or 'any'."));

        if (predicates.Count == 0) return (_ => true, null);
        return match == "any"
            ? (r => predicates.Any(p => p(r)), null)
            : (r => predicates.All(p => p(r)), null);
    }

    public static (IReadOnlyList<CloudflareRecord>? Records, CfError? Error) Order(IQueryCollection query, IEnumerable<CloudflareRecord> records)
    {
        var order = query["order"].ToString();
        var direction = query["direction"].ToString();
        if (direction.Length > 0 && direction is not ("asc" or "desc")) return (null, Cf.DnsValidation("direction must be 'asc' or 'desc'."));
        var descending = direction == "desc";

        Func<CloudflareRecord, IComparable>? key = order switch
        {
            "" => null,
            "type" => r => r.Type,
            "name" => r => r.Name,
            "content" => r => r.Content.ToLowerInvariant(),
            "ttl" => r => r.Ttl,
            "proxied" => r => r.Proxied,
            _ => null,
        };
        if (order.Length > 0 && key is null) return (null, Cf.DnsValidation("order must be one of type, name, content, ttl, proxied."));

        // Without an order the creation order is kept; OrderBy is stable, so ties keep it too.
        var list = key is null ? records.ToList() : (descending ? records.OrderByDescending(key) : records.OrderBy(key)).ToList();
        if (key is null && descending) list.Reverse();
        return (list, null);
    }

    private static void AddTextFilters(
        IQueryCollection query,
        string field,
        Func<CloudflareRecord, string> select,
        Func<string, string> normalise,
        List<Func<CloudflareRecord, bool>> predicates)
    {
        var plain = query[field].ToString();
        if (plain.Length > 0)
        {
            var value = normalise(plain);
            predicates.Add(r => string.Equals(select(r), value, StringComparison.OrdinalIgnoreCase));
        }

        foreach (var op in Operators)
        {
            var raw = query[$"{field}.{op}"].ToString();
            if (raw.Length == 0) continue;
            var value = op == "exact" ? normalise(raw) : raw;
            predicates.Add(op switch
            {
                "exact" => r => string.Equals(select(r), value, StringComparison.OrdinalIgnoreCase),
                "contains" => r => select(r).Contains(value, StringComparison.OrdinalIgnoreCase),
                "startswith" => r => select(r).StartsWith(value, StringComparison.OrdinalIgnoreCase),
                _ => r => select(r).EndsWith(value, StringComparison.OrdinalIgnoreCase),
            });
        }
    }
}
