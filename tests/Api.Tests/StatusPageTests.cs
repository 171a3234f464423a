using System.Net;
using System.Text.RegularExpressions;
using Dapper;
using DnsSync.Api.Auth;
using DnsSync.Api.Ui.Session;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using MySqlConnector;

namespace DnsSync.Api.Tests;

/// <summary>
/// The status page's session and its defences, in process: sign-in judged like an api call, a cookie that never
/// authorises /api/v1, antiforgery on every change, a CSP without inline script, sessions shared by api processes.
/// The browser tests (tests/Ui.Tests) drive the same pages in Chromium.
/// </summary>
public sealed partial class StatusPageTests : ApiTestBase
{
    [TestCase("/ui")]
    [TestCase("/ui/domains/1")]
    [TestCase("/ui/domains/1/records/new")]
    [TestCase("/ui/overview/rows")]
    [TestCase("/ui/domains/1/rows?status=error")]
    public async Task Without_a_session_pages_and_fragments_send_to_sign_in(string path)
    {
        using var client = Browser();
        using var response = await client.GetAsync(path);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        Assert.That(response.Headers.Location!.ToString(), Does.Contain("/ui/signin?returnUrl="));
    }

    [Test]
    public async Task A_bearer_token_does_not_open_the_pages()
    {
        using var client = Browser();
        client.DefaultRequestHeaders.Authorization = new("Bearer", Token());
        using var response = await client.GetAsync("/ui");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), "the pages take their session cookie only");
    }

    [Test]
    public async Task A_token_the_api_refuses_is_refused_at_sign_in_saying_why_and_starts_no_session()
    {
        var expired = Token(ttl: TimeSpan.FromMinutes(5), now: DateTime.UtcNow.AddHours(-1));
        var foreign = Token(secret: "another-secret-of-at-least-32-bytes-0123456789");
        foreach (var (token, reason) in new[] { (expired, "token expired"), (foreign, "token signature is invalid"), ("not-a-jwt", "token is invalid") })
        {
            using var client = Browser();
            var (status, html, setCookies) = await PostFormAsync(client, "/ui/signin", "signin-token", ("Token", token));
            Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), reason);
            Assert.That(html, Does.Contain(reason));
            Assert.That(html, Does.Not.Contain(token), "the pasted token is not sent back");
            Assert.That(setCookies, Has.None.StartsWith(UiAuth.CookieName + "="));
        }
    }

    [Test]
    public async Task A_token_with_no_dns_scope_starts_no_session()
    {
        await using var factory = new ApiFactory(ConnectionString, new Dictionary<string, string?> { ["Auth:DefaultScope"] = "none" });
        using var client = Browser(factory);
        var (status, html, _) = await PostFormAsync(client, "/ui/signin", "signin-token", ("Token", Token(scope: null)));
        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(html, Does.Contain("grants no dns scope"));
    }

    [Test]
    public async Task The_session_cookie_is_http_only_same_site_strict_and_never_authorises_an_api_call()
    {
        var token = Token(scope: Scopes.Write);
        using var client = await SignInAsync(token);
        var (cookie, attributes) = SessionCookie;
        Assert.That(Factory.Logs.AllText(), Does.Not.Contain(token.Split('.')[2]), "the pasted token reaches no log line (Debug included)");
        Assert.That(attributes, Does.Contain("httponly").And.Contain("samesite=strict").And.Contain("path=/ui"));

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/domains");
        request.Headers.Add("Cookie", cookie);
        using var api = await Browser().SendAsync(request);
        Assert.That(api.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "a cookie (which another site's page can make a browser send) is no credential for /api/v1");

        using var page = await client.GetAsync("/ui");
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task A_change_posted_without_the_antiforgery_token_is_refused_and_writes_nothing()
    {
        var (domainId, _) = await SeedZoneAsync();
        using var client = await SignInAsync(Token(scope: Scopes.Write));
        using var forged = await client.PostAsync($"/ui/domains/{domainId}/records/new", Form(("_handler", "create-record"),
            ("Form.Type", "A"), ("Form.Name", "csrf"), ("Form.Value", "192.0.2.66"), ("Form.Ttl", "300"), ("Form.OwnerType", "external"), ("Form.OwnerId", "1")));
        Assert.That(forged.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await RecordCountAsync(domainId), Is.Zero);

        using var signOut = await client.PostAsync("/ui/signout", Form());
        Assert.That(signOut.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "no sign-out from another site either");

        // The same form with the page's token goes through: the refusal above was the missing token.
        var (status, _, _) = await PostFormAsync(client, $"/ui/domains/{domainId}/records/new", "create-record",
            ("Form.Type", "A"), ("Form.Name", "real"), ("Form.Value", "192.0.2.67"), ("Form.Ttl", "300"), ("Form.OwnerType", "external"), ("Form.OwnerId", "1"));
        Assert.That(status, Is.EqualTo(HttpStatusCode.Redirect));
        Assert.That(await RecordCountAsync(domainId), Is.EqualTo(1));
    }

    [Test]
    public async Task The_overview_shows_each_zones_last_audit_and_its_drift_or_says_it_was_not_audited()
    {
        var (audited, _) = await SeedZoneAsync();
        var (never, _) = await SeedZoneAsync();
        await ExecAsync("""
            INSERT INTO zone_audits (domain_id, outcome, finished_at, drift, missing, orphans, blocking)
            VALUES (@audited, 'halted', UTC_TIMESTAMP(6) - INTERVAL 3 MINUTE, 2, 1, 4, 0)
            """, new { audited });
        using var client = await SignInAsync(Token(scope: Scopes.Read));

        var html = await client.GetStringAsync("/ui");
        var row = Regex.Match(html, $"<tr id=\"domain-{audited}\">.*?</tr>", RegexOptions.Singleline).Value;
        var other = Regex.Match(html, $"<tr id=\"domain-{never}\">.*?</tr>", RegexOptions.Singleline).Value;

        Assert.Multiple(() =>
        {
            Assert.That(row, Does.Contain("3 min ago"), "how long ago the audit finished");
            Assert.That(row, Does.Contain("halted"));
            Assert.That(row, Does.Contain(">7<"), "2 changed by hand + 1 missing + 4 orphans");
            Assert.That(other, Does.Contain("not audited"));
        });
    }

    [Test]
    public async Task A_read_only_session_cannot_reach_or_post_a_change()
    {
        var (domainId, _) = await SeedZoneAsync();
        using var client = await SignInAsync(Token(scope: Scopes.Read));
        using var page = await client.GetAsync($"/ui/domains/{domainId}/records/new");
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        Assert.That(page.Headers.Location!.ToString(), Does.Contain("/ui/forbidden"));

        // A valid antiforgery token (from the sign-out form of a page it may see) does not make it a writer.
        var antiforgery = AntiforgeryToken(await client.GetStringAsync("/ui"));
        using var forged = await client.PostAsync($"/ui/domains/{domainId}/records/new", Form(("_handler", "create-record"),
            ("__RequestVerificationToken", antiforgery), ("Form.Type", "A"), ("Form.Name", "ro"), ("Form.Value", "192.0.2.68"),
            ("Form.Ttl", "300"), ("Form.OwnerType", "external"), ("Form.OwnerId", "1")));
        Assert.That(forged.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        Assert.That(forged.Headers.Location!.ToString(), Does.Contain("/ui/forbidden"));
        Assert.That(await RecordCountAsync(domainId), Is.Zero);
    }

    [Test]
    public async Task Every_page_carries_a_content_security_policy_and_no_inline_script()
    {
        var (domainId, _) = await SeedZoneAsync();
        var record = await PostAsync("/api/v1/dns/records/create", new { domainId, type = "TXT", name = "csp", value = "v=1", ownerType = "external", ownerId = 1 });
        record.AssertOk();
        using var client = await SignInAsync(Token(scope: Scopes.Write));
        foreach (var path in new[] { "/ui", $"/ui/domains/{domainId}", $"/ui/domains/{domainId}/records/new", $"/ui/records/{record.Data.GetProperty("id").GetInt64()}/delete", $"/ui/domains/{domainId}/rows" })
        {
            using var response = await client.GetAsync(path);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), path);
            Assert.That(response.Headers.GetValues("Content-Security-Policy").Single(),
                Does.Contain("default-src 'self'").And.Contain("script-src 'self'").And.Contain("frame-ancestors 'none'").And.Not.Contain("unsafe-inline"), path);
            var html = await response.Content.ReadAsStringAsync();
            Assert.That(InlineScript().IsMatch(html), Is.False, $"{path} has an inline script or handler");
            Assert.That(html, Does.Not.Contain("http://").And.Not.Contain("https://"), $"{path} links nothing outside this origin");
        }
        using var script = await client.GetAsync("/ui/assets/live.js");
        Assert.That(script.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(script.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/javascript"));
    }

    [Test]
    public async Task The_pages_are_not_part_of_the_api_document()
    {
        using var document = System.Text.Json.JsonDocument.Parse(await Browser().GetStringAsync("/openapi/v1.json"));
        var paths = document.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.That(paths, Has.Some.StartsWith("/api/v1/"));
        Assert.That(paths, Has.None.StartsWith("/ui"));
    }

    [Test]
    public async Task A_sign_in_code_works_once_and_never_after_it_expires_and_is_stored_only_as_a_hash()
    {
        var codes = Factory.Services.GetRequiredService<SignInCodes>();
        var code = await codes.CreateAsync("ops", AccessLevel.Write, TimeSpan.FromMinutes(5), CancellationToken.None);
        await using (var db = new MySqlConnection(ConnectionString))
        {
            var stored = await db.QueryAsync<string>("SELECT CONCAT(HEX(code_hash), subject, scope) FROM ui_signin_codes");
            Assert.That(stored, Has.None.Contains(code).And.None.Contains(Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes(code))));
        }

        using var first = Browser();
        var (status, _, cookies) = await PostFormAsync(first, $"/ui/signin?code={code}", "signin-code", ("SignInCode", code));
        Assert.That(status, Is.EqualTo(HttpStatusCode.Redirect));
        Assert.That(cookies, Has.Some.StartsWith(UiAuth.CookieName + "="));
        Assert.That(await first.GetStringAsync("/ui"), Does.Contain("ops").And.Contain("dns:write"));

        using var second = Browser();
        var (again, html, _) = await PostFormAsync(second, $"/ui/signin?code={code}", "signin-code", ("SignInCode", code));
        Assert.That(again, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(html, Does.Contain("used already or has expired"));

        var expired = await codes.CreateAsync("ops", AccessLevel.Write, TimeSpan.Zero, CancellationToken.None);
        Assert.That(await codes.RedeemAsync(expired, CancellationToken.None), Is.Null);
    }

    [Test]
    public async Task A_session_from_one_api_process_is_good_at_another_and_their_shared_key_ring_is_stored_encrypted()
    {
        using var client = await SignInAsync(Token(scope: Scopes.Read));
        await using var other = new ApiFactory(ConnectionString);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/ui");
        request.Headers.Add("Cookie", SessionCookie.Cookie);
        using var response = await Browser(other).SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the second process reads the first one's cookie");

        await using var db = new MySqlConnection(ConnectionString);
        var keys = (await db.QueryAsync<string>("SELECT xml FROM ui_data_protection_keys")).ToList();
        Assert.That(keys, Is.Not.Empty);
        Assert.That(keys, Has.All.Contains("encryptedSecret").And.All.Not.Contains("<masterKey"));
    }
}
