using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using DnsSync.CloudflareEmulator.Hosting;
using Microsoft.Extensions.Configuration;

namespace DnsSync.CloudflareEmulator.Tests;

public sealed class StandaloneTests
{
    [Test]
    public async Task Standalone_process_serves_the_zones_and_options_from_its_command_line()
    {
        var port = FreePort();
        var emulatorDll = typeof(EmulatorServer).Assembly.Location;
        using var process = Process.Start(new ProcessStartInfo("dotnet")
        {
            ArgumentList =
            {
                emulatorDll, "--urls", $"http://127.0.0.1:{port}",
                "--zone", "example.com:tok-a", "--zone", "other.org:tok-b", "--rate-limit", "3",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/client/v4/"), Timeout = TimeSpan.FromSeconds(2) };
            var api = new CfApi(http, "tok-b");

            var zones = await PollAsync(() => api.GetAsync("zones"), TimeSpan.FromSeconds(20));
            await api.GetAsync("zones");
            await api.GetAsync("zones");
            var limited = await api.GetAsync("zones");

            Assert.That(zones.Items.Single().GetProperty("name").GetString(), Is.EqualTo("other.org"));
            Assert.That(zones.Items.Single().GetProperty("id").GetString(), Is.EqualTo(EmulatorState.ZoneIdFor("other.org")));
            Assert.That(limited.Status, Is.EqualTo(HttpStatusCode.TooManyRequests), "--rate-limit 3 applied");
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    [Test]
    public void Command_line_reads_every_zone_and_option()
    {
        var (zones, rest) = EmulatorCommandLine.ExtractZones(
            ["--zone", "a.test:t1", "--urls", "http://127.0.0.1:1", "--zone=b.test:t:2", "--batch-limit", "7", "--rate-limit-window", "2.5", "--wrap-address-errors", "false"]);
        var configuration = new ConfigurationBuilder().AddCommandLine(rest, EmulatorCommandLine.SwitchMappings).Build();

        var options = EmulatorCommandLine.Read(configuration, zones);

        Assert.That(options.Zones, Is.EqualTo(new[] { new ZoneSeed("a.test", "t1"), new ZoneSeed("b.test", "t:2") }));
        Assert.That(options.BatchLimit, Is.EqualTo(7));
        Assert.That(options.RateLimitWindow, Is.EqualTo(TimeSpan.FromSeconds(2.5)));
        Assert.That(options.WrapAddressErrors, Is.False);
        Assert.That(options.RateLimitRequests, Is.EqualTo(1200));
    }

    [TestCase("example.com")]
    [TestCase(":token")]
    [TestCase("example.com:")]
    public void Zone_argument_without_name_and_token_is_refused(string value)
    {
        Assert.That(() => EmulatorCommandLine.ParseZone(value), Throws.ArgumentException);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<CfResponse> PollAsync(Func<Task<CfResponse>> attempt, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return await attempt();
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
            catch (TaskCanceledException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }
}
