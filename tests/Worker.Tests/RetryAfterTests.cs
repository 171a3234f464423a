using System.Net.Http.Headers;
using DnsSync.Worker.Cloudflare;

namespace DnsSync.Worker.Tests;

/// <summary>Retry-After read the way HTTP allows it: seconds or a date, bounded.</summary>
public sealed class RetryAfterTests
{
    [Test]
    public void Seconds_are_taken_as_given_within_the_bounds()
    {
        Assert.That(RetryAfterHeader.Read(new RetryConditionHeaderValue(TimeSpan.FromSeconds(7))), Is.EqualTo(TimeSpan.FromSeconds(7)));
        Assert.That(RetryAfterHeader.Read(new RetryConditionHeaderValue(TimeSpan.FromHours(1))), Is.EqualTo(TimeSpan.FromMinutes(5)));
        Assert.That(RetryAfterHeader.Read(new RetryConditionHeaderValue(TimeSpan.Zero)), Is.EqualTo(TimeSpan.FromSeconds(1)));
    }

    [Test]
    public void An_http_date_is_turned_into_the_wait_until_then()
    {
        var wait = RetryAfterHeader.Read(new RetryConditionHeaderValue(DateTimeOffset.UtcNow.AddSeconds(20)));
        Assert.That(wait, Is.EqualTo(TimeSpan.FromSeconds(20)).Within(TimeSpan.FromSeconds(2)));
    }

    [Test]
    public void A_missing_header_waits_a_minute() =>
        Assert.That(RetryAfterHeader.Read((RetryConditionHeaderValue?)null), Is.EqualTo(TimeSpan.FromSeconds(60)));
}
