using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using DnsSync.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DnsSync.Ui.Tests;

public sealed partial class StatusPageTests
{
    private string Url(string path) => new Uri(_stack.ApiUrl, path).ToString().TrimEnd('/');

    private long DomainId(string zone) => _stack.Zones[zone].DomainId;

    /// <summary>A fresh browser context (no cookies) at 1280 × 900, and a journal of every URL it requests.</summary>
    private async Task<(IPage Page, Journal Journal)> OpenAsync()
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var journal = new Journal();
        context.Request += (_, request) => journal.Urls.Add(request.Url);
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();
        page.Load += (_, loaded) => journal.Pending.Add(loaded.ContentAsync());
        return (page, journal);
    }

    private async Task SignInAsync(IPage page, string token)
    {
        await page.GotoAsync(Url("/ui"));
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/ui/signin"));
        await page.GetByLabel("API token", new() { Exact = true }).FillAsync(token);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(Url("/ui"));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Domains" })).ToBeVisibleAsync();
    }

    /// <summary>Every create request of the main zone's records answers 500 (nothing applied) until the faults are cleared.</summary>
    private async Task AddFaultAsync()
    {
        using var response = await _stack.EmulatorClient.PostAsJsonAsync(new Uri(_stack.EmulatorUrl, "__emulator/faults"),
            new { method = "POST", pathPattern = "^/zones/[^/]+/dns_records(/batch)?$", kind = "ServerError", statusCode = 500 });
        response.EnsureSuccessStatusCode();
    }

    private async Task<long> CreateThroughApiAsync(string zone, string type, string name, string value)
    {
        using var response = await _stack.ApiClient.PostAsJsonAsync("api/v1/dns/records/create",
            new { domainId = DomainId(zone), type, name, value, ttl = 300, ownerType = "external", ownerId = 7 });
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.IsSuccessStatusCode, Is.True, body);
        return JsonNode.Parse(body)!["data"]!["id"]!.GetValue<long>();
    }

    private async Task<JsonArray> ListThroughApiAsync(string zone, string query = "") =>
        JsonNode.Parse(await _stack.ApiClient.GetStringAsync($"api/v1/dns/records?domainId={DomainId(zone)}&pageSize=100{query}"))!["data"]!["list"]!.AsArray();

    private async Task<long> CountRecordsAsync(string zone) => (await ListThroughApiAsync(zone)).Count;

    private async Task<long> RecordIdAsync(string zone, string name) =>
        (await ListThroughApiAsync(zone, $"&name={Uri.EscapeDataString(name)}")).Single()!["id"]!.GetValue<long>();

    private async Task WaitForApiAsync(string zone, Func<JsonArray, bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        JsonArray records;
        do
        {
            records = await ListThroughApiAsync(zone);
            if (condition(records)) return;
            await Task.Delay(200);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Fail($"records of {zone} did not get there within {Patience.TotalSeconds} s: {records.ToJsonString()}\n{_stack.Workers[0].LogTail()}");
    }

    /// <summary><c>dns-sync-api signin-link</c>, as <c>make run</c> runs it.</summary>
    private async Task<string> SignInLinkAsync()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { RepositoryPaths.Assembly("api", "dns-sync-api"), "signin-link", "--sub", "ui-link", "--scope", "dns:read", "--url", Url("") })
            start.ArgumentList.Add(arg);
        start.Environment["ConnectionStrings__Default"] = _stack.ConnectionString;
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.That(process.ExitCode, Is.Zero, error + output);
        return output.Trim();
    }

    /// <summary>Saves a screenshot of the whole page for the README (docs/images).</summary>
    private static async Task SaveScreenshotAsync(IPage page, string name)
    {
        // Let the fonts and the latest refresh settle, so the picture shows what a person sees.
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        var path = Path.Combine(RepositoryPaths.Root, "docs", "images", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        TestContext.Progress.WriteLine($"screenshot: {path}");
    }

    /// <summary>What a browser context requested and every document it loaded, to look for a token in them.</summary>
    private sealed class Journal
    {
        public List<string> Urls { get; } = [];
        public List<Task<string>> Pending { get; } = [];
        private readonly List<string> _sources = [];

        public async Task CaptureAsync(IPage page) => _sources.Add(await page.ContentAsync());

        public void AssertNoToken(string token)
        {
            var sources = _sources.Concat(Pending.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result)).ToList();
            Assert.That(Urls, Is.Not.Empty);
            Assert.That(Urls, Has.None.Contains(token), "a token in a URL");
            Assert.That(sources, Has.None.Contains(token), "a token in a page's source");
            // The JWT's signature alone is enough to find a pasted token.
            Assert.That(sources, Has.None.Contains(token.Split('.')[2]));
        }
    }
}
