using System.Net;
using System.Net.Sockets;
using DnsSync.CloudflareEmulator;
using DnsSync.Shared.Records;
using DnsSync.Worker.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace DnsSync.Worker.Tests;

/// <summary>The worker as a host: the loop, shutdown, options, credentials and base URLs, metrics.</summary>
public sealed class HostTests
{
    private WorkerHarness h = null!;

    [TearDown]
    public async Task StopAsync() => await h.DisposeAsync();

    [Test]
    public async Task Full_batches_are_followed_at_once_by_the_next_pass()
    {
        h = await WorkerHarness.StartAsync();
        for (var i = 0; i < 9; i++) await h.InsertAsync("A", $"h{i}", "192.0.2.1");
        using var host = h.Host(s =>
        {
            s["DnsWorker:BatchSize"] = "2";
            s["DnsWorker:IntervalSec"] = "3600";
        });

        await host.StartAsync();
        await WorkerHarness.EventuallyAsync(
            async () => await h.ScalarAsync<long>("SELECT COUNT(*) FROM domain_dns_records WHERE status = 'active'") == 9,
            "all rows active long before the first 3600 s interval", seconds: 15);
        await host.StopAsync();
    }

    [Test]
    public async Task A_record_created_just_after_a_busy_pass_does_not_wait_for_the_idle_interval()
    {
        h = await WorkerHarness.StartAsync();
        var first = await h.InsertAsync("A", "busy1", "192.0.2.1");
        using var host = h.Host(s => s["DnsWorker:IntervalSec"] = "3600");

        await host.StartAsync();
        await WorkerHarness.EventuallyAsync(
            async () => await h.ScalarAsync<string>($"SELECT status FROM domain_dns_records WHERE id = {first}") == "active", "first row active");
        var second = await h.InsertAsync("A", "busy2", "192.0.2.2");
        await WorkerHarness.EventuallyAsync(
            async () => await h.ScalarAsync<string>($"SELECT status FROM domain_dns_records WHERE id = {second}") == "active",
            "a row created right after work was found is claimed within seconds, not after the 3600 s idle interval", seconds: 10);
        await host.StopAsync();
    }

    [Test]
    public async Task Graceful_shutdown_finishes_in_flight_rows_and_releases_the_others()
    {
        h = await WorkerHarness.StartAsync();
        var ids = new List<long>();
        for (var i = 0; i < 6; i++) ids.Add(await h.InsertAsync("A", $"h{i}", "192.0.2.1"));
        h.Emulator.AddFault(new FaultRule { Kind = FaultKind.Latency, Method = "POST", LatencyMs = 1000 });
        // Three batches of two creates, one after the other: stop comes during the first.
        using var host = h.Host(s =>
        {
            s["DnsWorker:MaxParallelZones"] = "1";
            s["Cloudflare:BatchLimit"] = "2";
        });

        await host.StartAsync();
        await WorkerHarness.EventuallyAsync(
            async () => await h.ScalarAsync<long>("SELECT COUNT(*) FROM domain_dns_records WHERE status = 'running'") == 6, "batch claimed");
        await host.StopAsync();

        var active = await h.ScalarAsync<long>("SELECT COUNT(*) FROM domain_dns_records WHERE status = 'active'");
        Assert.Multiple(async () =>
        {
            Assert.That(await h.ScalarAsync<long>("SELECT COUNT(*) FROM domain_dns_records WHERE status = 'running' OR locked_by IS NOT NULL"), Is.Zero);
            Assert.That(active, Is.LessThan(6), "rows not yet started when stop came were not started");
            Assert.That(h.Remote(), Has.Count.EqualTo(2 * h.Requests("POST").Count), "every batch of creates sent was completed");
            Assert.That(await h.ScalarAsync<long>("SELECT COUNT(*) FROM domain_dns_records WHERE status = 'pending' AND attempt_count = 0"), Is.EqualTo(6 - active),
                "released rows keep attempt_count 0: no lookup needed later");
            Assert.That(h.Remote(), Has.Count.EqualTo(active));
        });
    }

    [Test]
    public async Task Worker_recovers_by_itself_when_the_database_comes_back()
    {
        h = await WorkerHarness.StartAsync();
        var server = DnsSync.Testing.TestDatabase.LocalServer;
        if (server is null)
        {
            // Docker or TEST_MYSQL_CONNECTION serves this run: there is no server process here to stop and start.
            const string reason = "the database-outage recovery needs the local throwaway server (not Docker or TEST_MYSQL_CONNECTION)";
            if (DnsSync.Testing.TestEnvironment.IsCi) Assert.Fail($"CI must run this test: {reason}");
            Assert.Ignore(reason);
        }
        using var host = h.Host();
        await host.StartAsync();

        var failedPasses = DnsSync.Worker.Metrics.WorkerMetrics.Passes.WithLabels("error").Value;
        server!.Kill();
        await WorkerHarness.EventuallyAsync(
            () => Task.FromResult(DnsSync.Worker.Metrics.WorkerMetrics.Passes.WithLabels("error").Value >= failedPasses + 2),
            "passes failing while the database is down");
        await server.StartProcessAsync();
        var id = await h.InsertAsync("A", "www", "192.0.2.1");

        await WorkerHarness.EventuallyAsync(async () => (await h.RowAsync(id))?.Status == RecordStatus.Active, "row synced after the outage", seconds: 30);
        await host.StopAsync();
    }

    [TestCase("DnsWorker:LeaseSec", "10", "DnsWorker:LeaseSec")]
    [TestCase("DnsWorker:BatchSize", "0", "DnsWorker:BatchSize")]
    [TestCase("DnsWorker:IntervalSec", "0", "DnsWorker:IntervalSec")]
    [TestCase("Cloudflare:BaseUrl", "api.cloudflare.com", "Cloudflare:BaseUrl")]
    [TestCase("Cloudflare:TimeoutSec", "0", "Cloudflare:TimeoutSec")]
    [TestCase("DnsWorker:InstanceId", "", "DnsWorker:InstanceId")]
    [TestCase("DnsWorker:RetryBaseSec", "0", "DnsWorker:RetryBaseSec")]
    [TestCase("DnsWorker:RetryBaseSec", "1801", "DnsWorker:RetryBaseSec")]
    [TestCase("DnsWorker:RetryMaxSec", "10", "DnsWorker:RetryMaxSec")]
    [TestCase("DnsWorker:RetryMaxSec", "1801", "DnsWorker:RetryMaxSec")]
    [TestCase("DnsWorker:AuditIntervalSec", "-1", "DnsWorker:AuditIntervalSec")]
    [TestCase("DnsWorker:AuditMaxChangeRatio", "1.5", "DnsWorker:AuditMaxChangeRatio")]
    public async Task Invalid_setting_stops_start_with_a_message_naming_it(string key, string value, string named)
    {
        h = await WorkerHarness.StartAsync();
        using var host = h.Host(s => s[key] = value);

        var error = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(error!.Message, Does.Contain(named));
    }

    [Test]
    public async Task Seed_environment_names_configure_the_worker_unless_the_section_names_are_set()
    {
        h = await WorkerHarness.StartAsync();
        using var host = h.Host(s =>
        {
            s["DNS_WORKER_ENABLED"] = "false";
            s["DNS_WORKER_INTERVAL_SEC"] = "7";
            s["DNS_WORKER_BATCH_SIZE"] = "33";
            s["DnsWorker:BatchSize"] = "44";
        });

        var options = host.Services.GetRequiredService<IOptions<DnsWorkerOptions>>().Value;

        Assert.Multiple(() =>
        {
            Assert.That(options.Enabled, Is.False);
            Assert.That(options.IntervalSec, Is.EqualTo(7));
            Assert.That(options.BatchSize, Is.EqualTo(44));
        });
    }

    [Test]
    public async Task Disabled_worker_claims_nothing()
    {
        h = await WorkerHarness.StartAsync();
        var id = await h.InsertAsync("A", "www", "192.0.2.1");
        // The control: an enabled host on a database of its own, started after the disabled one. Once it has
        // claimed twice (its first pass, then a row inserted after that pass), the disabled host has run at least
        // as long as an enabled host needs to claim.
        await using var control = await WorkerHarness.StartAsync();
        var controlFirst = await control.InsertAsync("A", "www", "192.0.2.1");
        using var host = h.Host(s => s["DnsWorker:Enabled"] = "false");
        using var enabled = control.Host(s => s["DnsWorker:IntervalSec"] = "1");

        await host.StartAsync();
        await enabled.StartAsync();
        await WorkerHarness.EventuallyAsync(async () => (await control.ExistingRowAsync(controlFirst)).AttemptCount > 0, "the enabled control host claims its row");
        var controlSecond = await control.InsertAsync("A", "later", "192.0.2.2");
        await WorkerHarness.EventuallyAsync(async () => (await control.ExistingRowAsync(controlSecond)).AttemptCount > 0, "the control claims a row inserted after its first pass");
        var row = await h.ExistingRowAsync(id);
        await enabled.StopAsync();
        await host.StopAsync();

        Assert.Multiple(() =>
        {
            Assert.That(row.AttemptCount, Is.Zero, "the disabled host, running all along, claimed nothing");
            Assert.That(row.Status, Is.EqualTo(RecordStatus.Pending));
        });
    }

    [TestCase("")]
    [TestCase("client/v4")]
    [TestCase("client/v4/")]
    public async Task Base_url_works_with_or_without_path_and_trailing_slash(string path)
    {
        h = await WorkerHarness.StartAsync();
        h.Settings["Cloudflare:BaseUrl"] = h.Emulator.BaseUrl + path;
        var id = await h.InsertAsync("A", "www", "192.0.2.1");

        await h.RunPassAsync();

        Assert.Multiple(async () =>
        {
            Assert.That((await h.ExistingRowAsync(id)).Status, Is.EqualTo(RecordStatus.Active));
            Assert.That(h.Requests().Single().Path, Is.EqualTo($"/{path.TrimEnd('/')}/zones/{h.ZoneId}/dns_records".Replace("//", "/")));
        });
    }

    [Test]
    public async Task Global_api_key_credentials_are_sent_as_email_and_key()
    {
        h = await WorkerHarness.StartAsync(email: "ops@example.com");
        var id = await h.InsertAsync("A", "www", "192.0.2.1");

        await h.RunPassAsync();

        Assert.Multiple(async () =>
        {
            Assert.That((await h.ExistingRowAsync(id)).Status, Is.EqualTo(RecordStatus.Active));
            Assert.That(h.Requests().Single().Credential, Is.EqualTo("key:ops@example.com"));
        });
    }

    [Test]
    public async Task Plaintext_token_written_by_hand_still_works()
    {
        h = await WorkerHarness.StartAsync(plaintextToken: true);
        var id = await h.InsertAsync("A", "www", "192.0.2.1");

        await h.RunPassAsync();

        Assert.Multiple(async () =>
        {
            Assert.That((await h.ExistingRowAsync(id)).Status, Is.EqualTo(RecordStatus.Active));
            Assert.That(h.Requests().Single().Credential, Is.EqualTo(EmulatorServer.TokenIdentity(WorkerHarness.Token)));
        });
    }

    [Test]
    public async Task Token_encrypted_with_another_key_fails_the_row_with_a_reason()
    {
        h = await WorkerHarness.StartAsync();
        h.Settings["Secrets:Key"] = Convert.ToBase64String(new byte[32]);
        var id = await h.InsertAsync("A", "www", "192.0.2.1");

        await h.RunPassAsync();

        Assert.Multiple(async () =>
        {
            Assert.That((await h.ExistingRowAsync(id)).LastError, Does.Contain("cannot be decrypted with Secrets__Key"));
            Assert.That(h.Requests(), Is.Empty);
        });
    }

    [Test]
    public async Task Per_token_budget_keeps_requests_under_the_limit_without_failing_rows()
    {
        // The emulator answers 429 beyond 5 requests per 2 s: the worker must never get there.
        h = await WorkerHarness.StartAsync(new EmulatorOptions { RateLimitRequests = 5, RateLimitWindow = TimeSpan.FromSeconds(2) });
        // The worker's budget sits below the emulator's limit: the two count a request at different moments (send and
        // arrival), so an equal budget would depend on the latency of each request on a loaded machine.
        h.Settings["Cloudflare:RequestsPerWindow"] = "4";
        h.Settings["Cloudflare:WindowSec"] = "2";
        // One change per batch request, so ten rows need ten requests.
        h.Settings["Cloudflare:BatchLimit"] = "1";
        for (var i = 0; i < 10; i++) await h.InsertAsync("A", $"h{i}", "192.0.2.1");

        await WorkerHarness.EventuallyAsync(async () =>
        {
            await h.RunPassAsync();
            return await h.ScalarAsync<long>("SELECT COUNT(*) FROM domain_dns_records WHERE status = 'active'") == 10;
        }, "all rows active", seconds: 30);

        var requests = h.Requests();
        Assert.Multiple(async () =>
        {
            Assert.That(requests.Where(r => r.Status == 429), Is.Empty);
            Assert.That(requests, Has.Count.EqualTo(10), "one create per row, nothing wasted");
            Assert.That(await h.ScalarAsync<long>("SELECT MAX(retry_count) FROM domain_dns_records"), Is.Zero);
        });
    }

    [Test]
    public async Task Metrics_endpoint_reports_outcomes_and_rows()
    {
        h = await WorkerHarness.StartAsync();
        var port = FreePort();
        for (var i = 0; i < 3; i++) await h.InsertAsync("A", $"m{i}", "192.0.2.1");
        // The metrics are process-wide and earlier tests raised them: compare with the values before this host ran,
        // and mark the row gauges with a value no pass would set, so a stale reading cannot pass.
        var createsBefore = WorkerMetrics.Outcomes.WithLabels("create", "ok").Value;
        var requestsBefore = WorkerMetrics.ProviderRequests.WithLabels("200").Value;
        WorkerMetrics.Rows.WithLabels(RecordStatus.Active).Set(-1);
        WorkerMetrics.Rows.WithLabels(RecordStatus.Pending).Set(-1);
        using var host = h.Host(s => s["DnsWorker:MetricsPort"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await host.StartAsync();
        using var http = new HttpClient();

        string body = "";
        await WorkerHarness.EventuallyAsync(async () =>
        {
            body = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics");
            return Sample(body, "dns_sync_record_outcomes_total{action=\"create\",result=\"ok\"}") >= createsBefore + 3
                && Sample(body, "dns_sync_records{status=\"active\"}") == 3
                // The refresh sets the row gauges one status after another: a scrape may fall between two of them.
                && Sample(body, "dns_sync_records{status=\"pending\"}") is not -1;
        }, "metrics with this host's three creates and three active rows");
        await host.StopAsync();

        Assert.Multiple(() =>
        {
            Assert.That(Sample(body, "dns_sync_provider_requests_total{status_code=\"200\"}"), Is.GreaterThanOrEqualTo(requestsBefore + h.Requests().Count),
                "every request this host sent (three creates, batched or not)");
            Assert.That(Sample(body, "dns_sync_records{status=\"pending\"}"), Is.Zero, "set by this host's refresh, not left from before");
            Assert.That(Sample(body, "dns_sync_oldest_due_age_seconds"), Is.Not.Null);
            Assert.That(Sample(body, "dns_sync_provider_rate_limited_total"), Is.Not.Null);
        });
    }

    [Test]
    public async Task Logs_name_each_outcome_and_never_contain_a_secret()
    {
        h = await WorkerHarness.StartAsync(email: "ops@example.com");
        var capture = new LogCapture();
        var pass = h.Worker(logger: capture).GetRequiredService<DnsSync.Worker.Reconciling.SyncPass>();
        var id = await h.InsertAsync("A", "www", "192.0.2.1");
        var failing = await h.InsertAsync("A", "bad", "not-an-address");

        await pass.RunOnceAsync(CancellationToken.None);

        var lines = capture.Lines.ToList();
        Assert.Multiple(() =>
        {
            Assert.That(lines, Has.Some.Contains($"record {id} www.example.com A: create ok (provider status 200"));
            Assert.That(lines, Has.Some.Contains($"record {failing} bad.example.com A: create error (provider status 400").And.Contains("9005"));
            Assert.That(lines, Has.None.Contains("0123456789abcdef0123456789abcdef01234"), "the Global API Key");
            Assert.That(lines, Has.Some.Contains("HTTP request"), "HttpClient's own trace lines were captured too");
        });
    }

    /// <summary>The value of one sample line (metric name with its labels) of a Prometheus text exposition; null when absent.</summary>
    private static double? Sample(string exposition, string series)
    {
        var line = exposition.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return line is null ? null : double.Parse(line[(series.Length + 1)..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
