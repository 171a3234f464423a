using System.Net;
using System.Text.RegularExpressions;
using Dapper;
using DnsSync.Api.Ui.Session;
using Microsoft.AspNetCore.Mvc.Testing;
using MySqlConnector;

namespace DnsSync.Api.Tests;

/// <summary>A cookie-keeping client that posts the pages' forms as a browser would.</summary>
public sealed partial class StatusPageTests
{
    private string? _setCookie;

    private (string Cookie, string Attributes) SessionCookie
    {
        get
        {
            Assert.That(_setCookie, Is.Not.Null, "signed in");
            var parts = _setCookie!.Split(';', 2);
            return (parts[0], parts[1].ToLowerInvariant());
        }
    }

    private HttpClient Browser(ApiFactory? factory = null) =>
        (factory ?? Factory).CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    private async Task<HttpClient> SignInAsync(string token)
    {
        var client = Browser();
        var (status, html, cookies) = await PostFormAsync(client, "/ui/signin", "signin-token", ("Token", token));
        Assert.That(status, Is.EqualTo(HttpStatusCode.Redirect), html);
        _setCookie = cookies.Single(c => c.StartsWith(UiAuth.CookieName + "=", StringComparison.Ordinal));
        return client;
    }

    /// <summary>GETs the page, then posts its form <paramref name="handler"/> with the page's antiforgery token.</summary>
    private static async Task<(HttpStatusCode Status, string Html, IReadOnlyList<string> SetCookies)> PostFormAsync(
        HttpClient client, string path, string handler, params (string Name, string Value)[] fields)
    {
        var page = await client.GetStringAsync(path);
        using var response = await client.PostAsync(path, Form([("_handler", handler), ("__RequestVerificationToken", AntiforgeryToken(page)), .. fields]));
        var cookies = response.Headers.TryGetValues("Set-Cookie", out var values) ? values.ToList() : [];
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), cookies);
    }

    private static FormUrlEncodedContent Form(params (string Name, string Value)[] fields) =>
        new(fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)));

    private static string AntiforgeryToken(string html) =>
        AntiforgeryInput().Match(html) is { Success: true } match ? match.Groups[1].Value : throw new AssertionException("no antiforgery token in the page");

    private async Task<long> RecordCountAsync(long domainId)
    {
        await using var db = new MySqlConnection(ConnectionString);
        return await db.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM domain_dns_records WHERE domain_id = @domainId", new { domainId });
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryInput();

    /// <summary>A script element without src, or an on…= event handler attribute.</summary>
    [GeneratedRegex(@"<script(?![^>]*\ssrc=)[^>]*>|\son[a-z]+\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();
}
