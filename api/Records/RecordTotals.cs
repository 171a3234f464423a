using System.Collections.Concurrent;
using System.Globalization;

namespace DnsSync.Api.Records;

/// <summary>
/// The <c>total</c> of a record list without counting a large filter on every page. A filter is counted up to
/// <see cref="ExactUpTo"/> rows (an index range of at most that many entries): below it the total is exact and current.
/// Above it the full count is taken once and kept for <see cref="CacheFor"/>, so pages of a large filter count nothing;
/// such a total is marked <c>totalExact: false</c> because it may be that old.
/// </summary>
internal sealed class RecordTotals(TimeProvider time)
{
    // Counting up to 1,000 index entries costs about 2 ms; 10,000 cost 20 ms, as much as the page itself should.
    public const int ExactUpTo = 1_000;
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(60);
    private const int MaxCachedFilters = 10_000;

    private readonly ConcurrentDictionary<string, (long Total, DateTimeOffset At)> _large = new();

    public async Task<(long Total, bool Exact)> CountAsync(MySqlConnection connection, string condition, DynamicParameters parameters,
        CancellationToken cancellationToken)
    {
        var key = Key(condition, parameters);
        if (_large.TryGetValue(key, out var cached) && time.GetUtcNow() - cached.At < CacheFor) return (cached.Total, false);

        var capped = $"SELECT COUNT(*) FROM (SELECT 1 FROM domain_dns_records r {condition} LIMIT {ExactUpTo + 1}) AS capped";
        var count = await connection.ExecuteScalarAsync<long>(new CommandDefinition(capped, parameters, cancellationToken: cancellationToken));
        if (count <= ExactUpTo)
        {
            _large.TryRemove(key, out _);
            return (count, true);
        }
        var full = $"SELECT COUNT(*) FROM domain_dns_records r {condition}";
        count = await connection.ExecuteScalarAsync<long>(new CommandDefinition(full, parameters, cancellationToken: cancellationToken));
        if (_large.Count >= MaxCachedFilters) _large.Clear();
        _large[key] = (count, time.GetUtcNow());
        return (count, true);
    }

    private static string Key(string condition, DynamicParameters parameters) =>
        condition + "|" + string.Join("|", parameters.ParameterNames.Where(n => condition.Contains("@" + n, StringComparison.Ordinal))
            .Select(n => $"{n}={Convert.ToString(parameters.Get<object?>(n), CultureInfo.InvariantCulture)}"));
}
