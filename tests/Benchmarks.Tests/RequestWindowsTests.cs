using DnsSync.Benchmarks.Harness;

namespace DnsSync.Benchmarks.Tests;

public sealed class RequestWindowsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(300);

    private static DateTimeOffset At(double seconds) => T0.AddSeconds(seconds);

    [Test]
    public void An_empty_log_has_no_busy_window() => Assert.That(RequestWindows.MaxInWindow([], Window), Is.Zero);

    [Test]
    public void Requests_within_one_window_all_count() =>
        Assert.That(RequestWindows.MaxInWindow([At(0), At(100), At(299.999)], Window), Is.EqualTo(3));

    [Test]
    public void A_request_exactly_one_window_later_no_longer_shares_the_window_with_the_first()
    {
        // The limit drops a request once it is `window` old: at t = 300 the request of t = 0 has left.
        Assert.That(RequestWindows.MaxInWindow([At(0), At(300)], Window), Is.EqualTo(1));
    }

    [Test]
    public void The_busiest_window_is_found_wherever_it_lies_and_whatever_the_order()
    {
        // 2 early, then 4 between 400 and 650 s (in one window), then 1 much later; given out of order.
        DateTimeOffset[] arrivals = [At(650), At(10), At(1000), At(400), At(20), At(500), At(600)];
        Assert.That(RequestWindows.MaxInWindow(arrivals, Window), Is.EqualTo(4));
    }

    [Test]
    public void Requests_at_the_same_instant_all_count() =>
        Assert.That(RequestWindows.MaxInWindow([At(5), At(5), At(5)], Window), Is.EqualTo(3));

    [Test]
    public void The_busiest_credential_counts_cloudflare_routes_only_and_not_429s()
    {
        EmulatorRequest Request(string credential, double seconds, int status = 200, string path = "/zones/z/dns_records/batch") =>
            new("POST", path, "", status, At(seconds), credential);
        var log = new[]
        {
            Request("token:a", 0), Request("token:a", 1), Request("token:a", 2, status: 429), Request("token:a", 400),
            Request("token:b", 0), Request("token:b", 10), Request("token:b", 20),
            Request("token:a", 3, path: "/__emulator/faults"),
        };
        Assert.That(RequestWindows.BusiestCredentialWindow(log, Window), Is.EqualTo(3), "token:b's three; token:a has two counted in its busiest window");
    }

    [Test]
    public void The_log_line_carries_credential_and_fault()
    {
        const string json = """
            [{"method":"POST","path":"/zones/z/dns_records/batch","query":"","status":500,"time":"2026-12-01T00:00:00+00:00","credential":"token:abc","recordIds":[],"fault":"ApplyThenFail500","durationMs":3.5}]
            """;
        var request = ProviderRequests.Parse(json).Single();
        Assert.That((request.Credential, request.Fault), Is.EqualTo(("token:abc", "ApplyThenFail500")));
    }
}

public sealed class LockWaitSamplerTests
{
    [TestCase("INSERT INTO provider_budget (credential, updated_at) VALUES (@Credential, UTC_TIMESTAMP(6))", "provider_budget")]
    [TestCase("INSERT INTO provider_budget_usage (credential, slot, used) VALUES (…)", "provider_budget_usage")]
    [TestCase("INSERT INTO provider_budget (credential) VALUES (@C); SELECT SUM(used) FROM provider_budget_usage", "provider_budget")]
    [TestCase("UPDATE domain_dns_records SET status = 'running' WHERE id IN (1, 2)", "domain_dns_records")]
    [TestCase("SELECT 1", "other")]
    [TestCase(null, "other")]
    public void A_waiting_statement_is_put_under_the_table_it_names(string? statement, string table) =>
        Assert.That(LockWaitSampler.TableOf(statement), Is.EqualTo(table));

    [Test]
    public void Means_are_over_all_samples_including_those_without_waits() =>
        Assert.That(LockWaitSampler.Means(new Dictionary<string, long> { ["provider_budget"] = 30 }, samples: 20),
            Is.EquivalentTo(new Dictionary<string, double> { ["provider_budget"] = 1.5 }));
}
