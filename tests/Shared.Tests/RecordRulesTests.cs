using DnsSync.Shared.Records;

namespace DnsSync.Shared.Tests;

public sealed class RecordRulesTests
{
    [TestCase("@", "@")]
    [TestCase("example.com", "@")]
    [TestCase("example.com.", "@")]
    [TestCase("www", "www")]
    [TestCase("WWW", "www")]
    [TestCase("www.example.com", "www")]
    [TestCase("www.example.com.", "www")]
    [TestCase("  A.B.Example.COM ", "a.b")]
    [TestCase("a.b", "a.b")]
    [TestCase("_acme-challenge", "_acme-challenge")]
    [TestCase("*", "*")]
    [TestCase("*.apps", "*.apps")]
    [TestCase("bücher", "xn--bcher-kva")]
    [TestCase("BÜCHER", "xn--bcher-kva")]
    [TestCase("faß", "xn--fa-hia")]
    [TestCase("ｗｗｗ", "www")]
    [TestCase("*.bücher", "*.xn--bcher-kva")]
    [TestCase("_acme-challenge.bücher", "_acme-challenge.xn--bcher-kva")]
    [TestCase("shop.BÜCHER.example.com.", "shop.xn--bcher-kva")]
    public void Names_are_normalised_to_the_zone_relative_form(string input, string expected)
    {
        Assert.That(RecordRules.TryNormalizeName("Example.com.", input, out var name, out var error), Is.True, error);
        Assert.That(name, Is.EqualTo(expected));
    }

    [TestCase("", "required")]
    [TestCase("www.other.org.", "not inside the zone")]
    [TestCase("a..b", "1 to 63")]
    [TestCase("-bad", "must not start or end with '-'")]
    [TestCase("sp ace", "may contain only")]
    [TestCase("a.*", "may contain only")]
    public void Invalid_names_are_refused_with_a_reason(string input, string reason)
    {
        Assert.That(RecordRules.TryNormalizeName("example.com", input, out _, out var error), Is.False);
        Assert.That(error, Does.Contain(reason));
    }

    [TestCase("bücher.de", "xn--bcher-kva.de")]
    [TestCase("BÜCHER.DE.", "xn--bcher-kva.de")]
    [TestCase("faß.de", "xn--fa-hia.de")]
    [TestCase("例え.テスト", "xn--r8jz45g.xn--zckzah")]
    public void Unicode_zones_become_punycode_by_uts46_nontransitional(string input, string expected)
    {
        Assert.That(RecordRules.TryNormalizeDomain(input, out var domain, out var error), Is.True, error);
        Assert.That(domain, Is.EqualTo(expected));
    }

    [Test]
    public void A_unicode_name_in_a_unicode_zone_is_relative_to_its_punycode()
    {
        Assert.That(RecordRules.TryNormalizeName("xn--bcher-kva.de", "www.bücher.de.", out var name, out var error), Is.True, error);
        Assert.That(name, Is.EqualTo("www"));
        Assert.That(RecordRules.TryNormalizeName("xn--bcher-kva.de", "BÜCHER.de", out name, out _), Is.True);
        Assert.That(name, Is.EqualTo("@"));
    }

    [TestCase("a\u200Db")]
    [TestCase("\u0301x")]
    public void Names_idna2008_disallows_are_refused(string escaped)
    {
        var input = System.Text.RegularExpressions.Regex.Unescape(escaped);
        Assert.That(RecordRules.TryNormalizeName("example.com", input, out _, out var error), Is.False);
        Assert.That(error, Does.Contain("internationalised"));
    }

    [Test]
    public void Names_longer_than_253_characters_in_full_are_refused()
    {
        var name = string.Join('.', Enumerable.Repeat(new string('a', 60), 4));
        Assert.That(RecordRules.TryNormalizeName("example.com", name, out _, out var error), Is.False);
        Assert.That(error, Does.Contain("253"));
    }

    [TestCase("@", "example.com")]
    [TestCase("www", "www.example.com")]
    [TestCase("a.b", "a.b.example.com")]
    [TestCase("www.example.com", "www.example.com")]
    [TestCase("www.example.com.", "www.example.com")]
    public void ToFqdn_follows_the_design(string name, string fqdn) =>
        Assert.That(RecordRules.ToFqdn("example.com", name), Is.EqualTo(fqdn));

    [TestCase("A", "192.0.2.1", "192.0.2.1")]
    [TestCase("A", " 10.0.0.255 ", "10.0.0.255")]
    [TestCase("AAAA", "2001:DB8:0:0:0:0:0:1", "2001:db8::1")]
    [TestCase("AAAA", "2001:0db8::0001", "2001:db8::1")]
    [TestCase("CNAME", "Target.Example.NET.", "target.example.net")]
    [TestCase("TXT", "v=spf1 include:_spf.example.com ~all", "v=spf1 include:_spf.example.com ~all")]
    [TestCase("TXT", "\"quoted\" a+b=c", "\"quoted\" a+b=c")]
    public void Content_is_normalised_per_type(string type, string value, string expected)
    {
        Assert.That(RecordRules.TryNormalizeContent(type, value, out var normalized, out var error), Is.True, error);
        Assert.That(normalized, Is.EqualTo(expected));
    }

    [TestCase("A", "256.1.1.1")]
    [TestCase("A", "1.2.3")]
    [TestCase("A", "01.2.3.4")]
    [TestCase("A", "2001:db8::1")]
    [TestCase("A", "example.com")]
    [TestCase("AAAA", "192.0.2.1")]
    [TestCase("AAAA", "fe80::1%eth0")]
    [TestCase("AAAA", "2001:db8::g")]
    [TestCase("CNAME", "")]
    [TestCase("CNAME", "not a host")]
    [TestCase("TXT", "")]
    [TestCase("TXT", "line\nbreak")]
    [TestCase("MX", "mail.example.com")]
    public void Invalid_content_is_refused(string type, string value)
    {
        Assert.That(RecordRules.TryNormalizeContent(type, value, out _, out var error), Is.False);
        Assert.That(error, Is.Not.Empty);
    }

    [Test]
    public void Txt_values_may_be_2048_characters_but_not_more()
    {
        Assert.That(RecordRules.TryNormalizeContent("TXT", new string('x', 2048), out _, out _), Is.True);
        Assert.That(RecordRules.TryNormalizeContent("TXT", new string('x', 2049), out _, out var error), Is.False);
        Assert.That(error, Does.Contain("2048"));
    }

    [TestCase(1, true)]
    [TestCase(59, false)]
    [TestCase(60, true)]
    [TestCase(86400, true)]
    [TestCase(86401, false)]
    [TestCase(0, false)]
    [TestCase(-5, false)]
    public void Ttl_is_1_or_between_60_and_86400(int ttl, bool valid) =>
        Assert.That(RecordRules.IsValidTtl(ttl), Is.EqualTo(valid));

    [Test]
    public void Proxied_records_read_back_with_ttl_1_without_looking_like_drift()
    {
        Assert.That(RecordRules.TtlEquals(proxied: true, intended: 300, actual: 1), Is.True);
        Assert.That(RecordRules.TtlEquals(proxied: false, intended: 300, actual: 1), Is.False);
        Assert.That(RecordRules.TtlEquals(proxied: false, intended: 300, actual: 300), Is.True);
    }

    [Test]
    public void Content_comparison_is_canonical()
    {
        Assert.That(RecordRules.ContentEquals("AAAA", "2001:0DB8::1", "2001:db8:0:0::1"), Is.True);
        Assert.That(RecordRules.ContentEquals("CNAME", "Target.example.net.", "target.example.net"), Is.True);
        Assert.That(RecordRules.ContentEquals("TXT", "Hello", "hello"), Is.False);
    }

    [TestCase("Example.COM.", "example.com")]
    [TestCase("sub.example.co.uk", "sub.example.co.uk")]
    public void Domains_are_normalised(string input, string expected)
    {
        Assert.That(RecordRules.TryNormalizeDomain(input, out var domain, out _), Is.True);
        Assert.That(domain, Is.EqualTo(expected));
    }

    [TestCase("")]
    [TestCase("localhost")]
    [TestCase("exa mple.com")]
    [TestCase("_x.example.com")]
    public void Invalid_domains_are_refused(string input) =>
        Assert.That(RecordRules.TryNormalizeDomain(input, out _, out _), Is.False);

    [TestCase(0, 30)]
    [TestCase(1, 60)]
    [TestCase(5, 960)]
    [TestCase(6, 1800)]
    [TestCase(9, 1800)]
    public void Backoff_doubles_from_30_seconds_and_caps_at_30_minutes(int retryCount, int seconds) =>
        Assert.That(RetryPolicy.Backoff(retryCount), Is.EqualTo(TimeSpan.FromSeconds(seconds)));

    [Test]
    public void Errors_are_cut_to_255_characters_on_a_character_boundary()
    {
        var emoji = new string('x', 254) + "😀tail";
        var cut = RetryPolicy.TruncateError(emoji);
        Assert.That(cut, Has.Length.LessThanOrEqualTo(255));
        Assert.That(char.IsHighSurrogate(cut[^1]), Is.False);
        Assert.That(RetryPolicy.TruncateError("short"), Is.EqualTo("short"));
    }
}
