namespace DnsSync.Benchmarks.Harness;

/// <summary>Count, mean, p50/p95/p99 and max of a sample (milliseconds unless the caller says otherwise).</summary>
internal sealed record Summary(int Count, double Mean, double P50, double P95, double P99, double Max)
{
    public static readonly Summary Empty = new(0, 0, 0, 0, 0, 0);
}

internal static class Stats
{
    /// <summary>
    /// The <paramref name="p"/>-th percentile (0–100) of an ascending sample, interpolated linearly between the
    /// closest ranks (numpy's default), so p50 of an even-sized sample is the mean of the two middle values.
    /// </summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(p, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(p, 100);
        if (sorted.Count == 0) throw new ArgumentException("percentile of an empty sample", nameof(sorted));
        var rank = p / 100 * (sorted.Count - 1);
        var lower = (int)Math.Floor(rank);
        var upper = (int)Math.Ceiling(rank);
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (rank - lower);
    }

    public static Summary Summarize(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        if (sorted.Count == 0) return Summary.Empty;
        return new Summary(sorted.Count, sorted.Average(), Percentile(sorted, 50), Percentile(sorted, 95),
            Percentile(sorted, 99), sorted[^1]);
    }

    /// <summary><paramref name="numerator"/> / <paramref name="denominator"/>, or null when the denominator is 0.</summary>
    public static double? Ratio(double numerator, double denominator) =>
        denominator == 0 ? null : numerator / denominator;
}
