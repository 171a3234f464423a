using DnsSync.Testing;
using Microsoft.Playwright;

namespace DnsSync.Ui.Tests;

/// <summary>
/// Debian's Chromium (<c>apt-get install chromium</c>; .ci/run installs it) driven by Playwright's driver. Playwright's own
/// browser builds are never downloaded: the executable is given, and a missing one fails the run under CI (skips by hand).
/// </summary>
internal static class Chromium
{
    public static string ExecutablePath { get; } = Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            var message = $"{ExecutablePath} not found: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH";
            if (TestEnvironment.IsCi) Assert.Fail(message);
            Assert.Ignore(message);
        }
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            // Chromium refuses its sandbox as root (CI runs as root); the pages under test are our own.
            Args = Environment.UserName == "root" ? ["--no-sandbox"] : [],
        });
        return (playwright, browser);
    }
}
