using DnsSync.Benchmarks.Harness;

namespace DnsSync.Benchmarks.Tests;

public sealed class ProviderRequestsTests
{
    private const string Zone = "5ab2c3d4e5f60718293a4b5c6d7e8f90";

    [TestCase("POST", "/zones/" + Zone + "/dns_records", "create")]
    [TestCase("POST", "/client/v4/zones/" + Zone + "/dns_records", "create")]
    [TestCase("GET", "/zones/" + Zone + "/dns_records", "list")]
    [TestCase("POST", "/zones/" + Zone + "/dns_records/batch", "batch")]
    [TestCase("GET", "/zones/" + Zone + "/dns_records/0123456789abcdef0123456789abcdef", "get")]
    [TestCase("PATCH", "/zones/" + Zone + "/dns_records/0123456789abcdef0123456789abcdef", "patch")]
    [TestCase("PUT", "/zones/" + Zone + "/dns_records/0123456789abcdef0123456789abcdef", "put")]
    [TestCase("DELETE", "/zones/" + Zone + "/dns_records/0123456789abcdef0123456789abcdef", "delete")]
    [TestCase("GET", "/zones", "zones")]
    [TestCase("GET", "/user/tokens/verify", "verify")]
    [TestCase("GET", "/nonsense", "other")]
    [TestCase("GET", "/__emulator/requests", null)]
    public void Kind_names_the_cloudflare_route(string method, string path, string? expected) =>
        Assert.That(ProviderRequests.Kind(method, path), Is.EqualTo(expected));

    [Test]
    public void Count_reads_the_emulator_log_and_counts_429s_and_the_time_span()
    {
        // The shape GET /__emulator/requests answers (camelCase), including fields the count does not need.
        const string json = """
            [
              {"method":"POST","path":"/zones/z/dns_records","query":"","status":200,"time":"2026-01-01T00:00:00+00:00","credential":"token:abc","recordIds":["r1"],"fault":null},
              {"method":"GET","path":"/client/v4/zones/z/dns_records","query":"?type=A&name=www.example.com","status":200,"time":"2026-01-01T00:00:01+00:00","credential":"token:abc","recordIds":[],"fault":null},
              {"method":"POST","path":"/zones/z/dns_records","query":"","status":429,"time":"2026-01-01T00:00:02.5+00:00","credential":"token:abc","recordIds":[],"fault":null},
              {"method":"GET","path":"/__emulator/faults","query":"","status":200,"time":"2026-01-01T00:00:09+00:00","credential":null,"recordIds":[],"fault":null}
            ]
            """;
        var count = ProviderRequests.Count(ProviderRequests.Parse(json));
        Assert.Multiple(() =>
        {
            Assert.That(count.Total, Is.EqualTo(3), "control routes do not count");
            Assert.That(count.RateLimited, Is.EqualTo(1));
            Assert.That(count.ByKind, Is.EquivalentTo(new Dictionary<string, long> { ["create"] = 2, ["list"] = 1 }));
            Assert.That(count.Span, Is.EqualTo(TimeSpan.FromSeconds(2.5)));
        });
    }

    [Test]
    public void Count_of_an_empty_log_is_zero()
    {
        var count = ProviderRequests.Count(ProviderRequests.Parse("[]"));
        Assert.That((count.Total, count.Span), Is.EqualTo((0L, TimeSpan.Zero)));
    }
}
