using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DnsSync.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DnsSync.Ui.Tests;

/// <summary>
/// The status page in a real browser against the whole product as processes: api (which serves /ui), a worker and the
/// Cloudflare emulator. Saves the README's screenshots (docs/images/overview.png and records.png) on the way.
/// </summary>
[NonParallelizable]
public sealed partial class StatusPageTests
{
    private const string Zone = "example.com";
    private const string OtherZone = "example.net";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly float PatienceMs = (float)Patience.TotalMilliseconds;

    private LocalStack _stack = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private string _writeToken = "";
    private string _readToken = "";

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        // The browser first: without one there is nothing to test, and under CI that fails the run.
        (_playwright, _browser) = await Chromium.LaunchAsync();
        // make test runs the other test projects beside this one: give a loaded machine time, not sleeps.
        SetDefaultExpectTimeout(15_000);
        _stack = await LocalStack.StartAsync(new LocalStackOptions
        {
            LogDirectory = Path.Combine(TestContext.CurrentContext.WorkDirectory, "logs", nameof(StatusPageTests)),
            Zone = Zone,
            ExtraZones = [OtherZone],
            // A failed record waits 20 minutes for its automatic retry: only the page's Retry button can bring it back in time.
            WorkerEnvironment = new Dictionary<string, string?> { ["DnsWorker__RetryBaseSec"] = "600", ["DnsWorker__RetryMaxSec"] = "1800" },
        });
        _writeToken = _stack.MintToken(TimeSpan.FromHours(2), "ui-writer", "dns:write");
        _readToken = _stack.MintToken(TimeSpan.FromHours(2), "ui-reader", "dns:read");
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        if (_stack is not null) await _stack.DisposeAsync();
    }

    [TearDown]
    public Task ClearFaultsAsync() => _stack.EmulatorClient.DeleteAsync(new Uri(_stack.EmulatorUrl, "__emulator/faults"));

    [Test, Order(1)]
    public async Task A_record_created_on_the_page_shows_the_apis_validation_and_turns_active_without_a_reload()
    {
        var (page, journal) = await OpenAsync();
        await SignInAsync(page, _writeToken);
        await page.GetByRole(AriaRole.Link, new() { Name = Zone, Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "New record" }).ClickAsync();

        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("www");
        await page.GetByLabel("Value", new() { Exact = true }).FillAsync("192.0.2.300");
        await page.GetByLabel("TTL (seconds)", new() { Exact = true }).FillAsync("30");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create record" }).ClickAsync();
        // The api's own messages, each beside its field, and nothing written.
        await Expect(page.Locator("#value-error")).ToContainTextAsync("is not an IPv4 address");
        await Expect(page.Locator("#ttl-error")).ToContainTextAsync("ttl must be 1 (automatic) or 60 to 86400 (got 30)");
        Assert.That(await CountRecordsAsync(Zone), Is.Zero, "a refused create writes nothing");

        await page.GetByLabel("Value", new() { Exact = true }).FillAsync("192.0.2.10");
        await page.GetByLabel("TTL (seconds)", new() { Exact = true }).FillAsync("300");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create record" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex($"/ui/domains/{DomainId(Zone)}$"));
        await Expect(page.Locator(".notice")).ToContainTextAsync("is pending");
        var id = await RecordIdAsync(Zone, "www");

        // Only live refresh can change the row now: a marker set on this document must survive until it is active.
        await page.EvaluateAsync("() => window.stillThisDocument = true");
        await Expect(page.Locator($"#record-{id} .status")).ToHaveTextAsync("active", new() { Timeout = PatienceMs });
        Assert.That(await page.EvaluateAsync<bool>("() => window.stillThisDocument === true"), Is.True, "the row turned active without a reload");
        await Expect(page.Locator($"#record-{id} td[data-label='Provider id']")).Not.ToHaveTextAsync("—");
        journal.AssertNoToken(_writeToken);
    }

    [Test, Order(2)]
    public async Task A_failing_record_shows_its_error_and_turns_active_after_a_retry_from_the_page()
    {
        foreach (var (name, type, value) in new[] { ("api", "A", "192.0.2.20"), ("@", "TXT", "v=spf1 -all"), ("docs", "CNAME", "docs.example.org"), ("v6", "AAAA", "2001:db8::10") })
            await CreateThroughApiAsync(Zone, type, name, value);
        await WaitForApiAsync(Zone, records => records.All(r => r!["status"]!.GetValue<string>() == "active"));

        var (page, journal) = await OpenAsync();
        await SignInAsync(page, _writeToken);
        await page.GotoAsync(Url($"/ui/domains/{DomainId(Zone)}"));
        await AddFaultAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "New record" }).ClickAsync();
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("shop");
        await page.GetByLabel("Value", new() { Exact = true }).FillAsync("192.0.2.30");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create record" }).ClickAsync();
        var id = await RecordIdAsync(Zone, "shop");

        var row = page.Locator($"#record-{id}");
        await Expect(row.Locator(".status")).ToHaveTextAsync("error", new() { Timeout = PatienceMs });
        await Expect(row.Locator("td[data-label='Last error']")).ToContainTextAsync("500");
        await Expect(row.Locator("td[data-label='Retries']")).ToHaveTextAsync("1");
        await Expect(row.Locator("td[data-label='Next retry']")).ToContainTextAsync("in ");

        // Filters live in the URL and survive the live refresh.
        await page.GetByLabel("Status", new() { Exact = true }).SelectOptionAsync("error");
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("status=error"));
        await page.WaitForResponseAsync(r => r.Url.Contains("/rows?status=error", StringComparison.Ordinal), new() { Timeout = 15_000 });
        await Expect(page.Locator("#rows tr")).ToHaveCountAsync(1);
        await Expect(page.GetByLabel("Status", new() { Exact = true })).ToHaveValueAsync("error");
        await page.GotoAsync(Url($"/ui/domains/{DomainId(Zone)}"));
        await Expect(row.Locator(".status")).ToHaveTextAsync("error");
        await SaveScreenshotAsync(page, "records.png");
        // On a phone the rows become cards: nothing wider than the screen, the error still readable.
        await page.SetViewportSizeAsync(390, 844);
        Assert.That(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), Is.True, "no sideways scrolling at 390 px");
        await Expect(row.Locator("td[data-label='Last error']")).ToBeInViewportAsync(new() { Ratio = 0.5f });
        await page.SetViewportSizeAsync(1280, 900);
        await page.GotoAsync(Url("/ui"));
        await Expect(page.GetByLabel("1 error records", new() { Exact = true })).ToBeVisibleAsync();
        await SaveScreenshotAsync(page, "overview.png");

        await page.GotoAsync(Url($"/ui/domains/{DomainId(Zone)}"));
        await ClearFaultsAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = $"Retry record {id} (A shop)" }).ClickAsync();
        await Expect(page.Locator(".notice")).ToContainTextAsync($"Record {id} is pending again");
        await Expect(row.Locator(".status")).ToHaveTextAsync("active", new() { Timeout = PatienceMs });
        await Expect(row.Locator("td[data-label='Last error']")).ToHaveTextAsync("—");
        journal.AssertNoToken(_writeToken);
    }

    [Test, Order(3)]
    public async Task A_read_only_session_sees_no_buttons_that_would_fail()
    {
        await AddFaultAsync();
        var id = await CreateThroughApiAsync(OtherZone, "A", "broken", "192.0.2.40");
        await WaitForApiAsync(OtherZone, records => records.Any(r => r!["id"]!.GetValue<long>() == id && r["status"]!.GetValue<string>() == "error"));
        var records = Url($"/ui/domains/{DomainId(OtherZone)}");

        // A writer sees what a reader must not: the assertions below can fail.
        var (writer, _) = await OpenAsync();
        await SignInAsync(writer, _writeToken);
        await writer.GotoAsync(records);
        await Expect(writer.GetByRole(AriaRole.Button, new() { Name = $"Retry record {id} (A broken)" })).ToBeVisibleAsync();
        await Expect(writer.GetByRole(AriaRole.Link, new() { Name = "New record" })).ToBeVisibleAsync();

        var (reader, journal) = await OpenAsync();
        await SignInAsync(reader, _readToken);
        await Expect(reader.Locator("header .scope")).ToHaveTextAsync("dns:read");
        await reader.GotoAsync(records);
        await Expect(reader.Locator($"#record-{id} .status")).ToHaveTextAsync("error");
        await Expect(reader.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("Retry") })).ToHaveCountAsync(0);
        await Expect(reader.GetByRole(AriaRole.Link, new() { NameRegex = new Regex("Delete|New record") })).ToHaveCountAsync(0);
        await Expect(reader.Locator("main form[method='post']")).ToHaveCountAsync(0);
        // After a live refresh too.
        await reader.WaitForResponseAsync(r => r.Url.Contains("/rows", StringComparison.Ordinal), new() { Timeout = 15_000 });
        await Expect(reader.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("Retry") })).ToHaveCountAsync(0);

        await reader.GotoAsync(Url($"/ui/domains/{DomainId(OtherZone)}/records/new"));
        await Expect(reader.Locator("main")).ToContainTextAsync("needs the scope dns:write; this session has dns:read");
        journal.AssertNoToken(_readToken);
    }

    [Test, Order(4)]
    public async Task The_one_time_sign_in_link_signs_one_browser_in_once()
    {
        var link = await SignInLinkAsync();
        Assert.That(link, Does.StartWith(Url("/ui/signin?code=")));

        var (first, _) = await OpenAsync();
        await first.GotoAsync(link);
        await first.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await Expect(first).ToHaveURLAsync(Url("/ui"));
        await Expect(first.Locator("header .who")).ToContainTextAsync("ui-link");

        var (second, _) = await OpenAsync();
        await second.GotoAsync(link);
        await second.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await Expect(second.Locator(".alert")).ToContainTextAsync("used already or has expired");
        await second.GotoAsync(Url("/ui"));
        await Expect(second).ToHaveURLAsync(new Regex("/ui/signin"));
    }

    [Test, Order(5)]
    public async Task No_token_appears_in_any_url_page_source_or_script_readable_cookie_and_sign_out_ends_the_session()
    {
        var (page, journal) = await OpenAsync();
        await SignInAsync(page, _writeToken);
        var id = await CreateThroughApiAsync(OtherZone, "TXT", "walk", "a record to look at");
        foreach (var path in new[] { "/ui", $"/ui/domains/{DomainId(OtherZone)}?type=TXT&name=walk", $"/ui/domains/{DomainId(OtherZone)}/records/new", $"/ui/records/{id}/delete" })
        {
            await page.GotoAsync(Url(path));
            await journal.CaptureAsync(page);
        }
        await page.GotoAsync(Url($"/ui/domains/{DomainId(Zone)}"));
        await page.WaitForResponseAsync(r => r.Url.Contains("/rows", StringComparison.Ordinal), new() { Timeout = 15_000 });

        var cookies = await page.Context.CookiesAsync();
        var session = cookies.Single(c => c.Name == "dns-sync-ui");
        Assert.That(session, Has.Property(nameof(BrowserContextCookiesResult.HttpOnly)).True
            .And.Property(nameof(BrowserContextCookiesResult.SameSite)).EqualTo(SameSiteAttribute.Strict)
            .And.Property(nameof(BrowserContextCookiesResult.Path)).EqualTo("/ui"));
        Assert.That(cookies.Select(c => c.Value), Has.None.Contains(_writeToken));
        Assert.That(await page.EvaluateAsync<string>("() => document.cookie"), Does.Not.Contain("dns-sync-ui="), "scripts cannot read the session");
        journal.AssertNoToken(_writeToken);
        Assert.That(journal.Urls, Has.Some.Contains("/rows"), "the journal saw the live refresh requests");

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/ui/signin"));
        await page.GotoAsync(Url("/ui"));
        await Expect(page).ToHaveURLAsync(new Regex("/ui/signin"));
    }
}
