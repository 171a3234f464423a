using DnsSync.Benchmarks.Harness;

namespace DnsSync.Benchmarks.Tests;

public sealed class StatsTests
{
    [Test]
    public void Percentile_interpolates_between_closest_ranks()
    {
        double[] sorted = [10, 20, 30, 40];
        Assert.Multiple(() =>
        {
            Assert.That(Stats.Percentile(sorted, 0), Is.EqualTo(10));
            Assert.That(Stats.Percentile(sorted, 50), Is.EqualTo(25));
            Assert.That(Stats.Percentile(sorted, 100), Is.EqualTo(40));
            Assert.That(Stats.Percentile(sorted, 95), Is.EqualTo(38.5).Within(1e-9));
        });
    }

    [Test]
    public void Percentile_of_one_value_is_that_value() =>
        Assert.That(Stats.Percentile([7.5], 99), Is.EqualTo(7.5));

    [Test]
    public void Percentile_refuses_an_empty_sample_and_out_of_range_ranks()
    {
        Assert.Throws<ArgumentException>(() => Stats.Percentile([], 50));
        Assert.Throws<ArgumentOutOfRangeException>(() => Stats.Percentile([1], 101));
    }

    [Test]
    public void Summarize_sorts_the_sample_first()
    {
        var summary = Stats.Summarize(Enumerable.Range(1, 100).Reverse().Select(i => (double)i));
        Assert.Multiple(() =>
        {
            Assert.That(summary.Count, Is.EqualTo(100));
            Assert.That(summary.Mean, Is.EqualTo(50.5));
            Assert.That(summary.P50, Is.EqualTo(50.5));
            Assert.That(summary.P99, Is.EqualTo(99.01).Within(1e-9));
            Assert.That(summary.Max, Is.EqualTo(100));
        });
    }

    [Test]
    public void Summarize_of_nothing_is_empty() => Assert.That(Stats.Summarize([]), Is.EqualTo(Summary.Empty));

    [Test]
    public void Ratio_is_null_when_the_denominator_is_zero()
    {
        Assert.That(Stats.Ratio(3, 4), Is.EqualTo(0.75));
        Assert.That(Stats.Ratio(3, 0), Is.Null);
    }
}
