using Dapper;
using DnsSync.Api.ZoneImports;
using DnsSync.Shared.ZoneImports;
using DnsSync.Worker.Cloudflare;
using DnsSync.Worker.ZoneImports;
using Microsoft.Extensions.DependencyInjection;
using MySqlConnector;

namespace DnsSync.Worker.Tests;

/// <summary>
/// POST /domains/import-zones as the api records it (its own query class), performed by the worker against the
/// emulator's zone list: dry run, real run, repeat.
/// </summary>
public sealed class ZoneImportTests : HarnessTest
{
    private MySqlDataSource dataSource = null!;

    private ZoneImportQueries Api => new(dataSource);

    private ZoneImporter importer = null!;

    [SetUp]
    public void AddZones()
    {
        // Built first: the worker's registration is what maps snake_case columns for Dapper, as at the api's start.
        importer = h.Worker().GetRequiredService<ZoneImporter>();
        dataSource = new MySqlDataSource(h.ConnectionString);
        // 54 more zones than the seeded example.com: two pages of 50.
        for (var i = 1; i <= 52; i++) h.Emulator.AddZone($"zone{i:D2}.test", WorkerHarness.Token);
        // Cloudflare names an IDN zone (bücher.de) in punycode.
        h.Emulator.AddZone("xn--bcher-kva.de", WorkerHarness.Token);
        h.Emulator.AddZone("localhost", WorkerHarness.Token);
        h.Emulator.AddZone("not-ours.test", "somebody-elses-token");
    }

    [TearDown]
    public async Task DisposeDataSourceAsync() => await dataSource.DisposeAsync();

    private async Task<ZoneImportDto> ImportAsync(bool dryRun)
    {
        var request = await Api.RequestAsync(1, dryRun, "tester", CancellationToken.None);
        Assert.That(request.Status, Is.EqualTo("requested"));
        Assert.That(await importer.RunOnceAsync(CancellationToken.None), Is.True);
        var done = (await Api.GetAsync(request.Id, CancellationToken.None))!;
        Assert.That(done.Status, Is.EqualTo("done"), done.LastError);
        return done;
    }

    private Task<long> DomainCountAsync() => h.ScalarAsync<long>("SELECT COUNT(*) FROM domains");

    [Test]
    public async Task Dry_run_reports_what_would_be_created_and_creates_nothing()
    {
        var listsBefore = h.Requests("GET").Count;

        var import = await ImportAsync(dryRun: true);

        var zones = import.Zones!.ToDictionary(z => z.Name);
        Assert.Multiple(async () =>
        {
            Assert.That((import.ZonesSeen, import.Created, import.Existing, import.Skipped), Is.EqualTo(((int?)55, (int?)53, (int?)1, (int?)1)),
                string.Join("; ", import.Zones!.Where(z => z.Outcome == ZoneImportOutcome.Skipped).Select(z => $"{z.Name}: {z.Reason}")));
            Assert.That(zones["example.com"], Is.EqualTo(new ZoneImportItem("example.com", h.ZoneId, ZoneImportOutcome.Exists, 1, null)));
            Assert.That(zones["xn--bcher-kva.de"].Outcome, Is.EqualTo(ZoneImportOutcome.WouldCreate));
            Assert.That(zones["localhost"].Outcome, Is.EqualTo(ZoneImportOutcome.Skipped));
            Assert.That(zones["localhost"].Reason, Does.Contain("not a valid domain name"));
            Assert.That(zones, Does.Not.ContainKey("not-ours.test"));
            Assert.That(await DomainCountAsync(), Is.EqualTo(1));
            Assert.That(await h.ScalarAsync<long>("SELECT COUNT(*) FROM domain_dns_providers"), Is.EqualTo(1));
            Assert.That(h.Requests("GET").Skip(listsBefore).Select(r => (r.Path, r.Query)),
                Is.EqualTo(new[] { ("/zones", "?page=1&per_page=50"), ("/zones", "?page=2&per_page=50") }), "paged by result_info");
        });
    }

    [Test]
    public async Task Import_creates_a_domain_and_binding_per_new_zone_and_repeating_it_creates_nothing_twice()
    {
        var import = await ImportAsync(dryRun: false);

        Assert.That((import.Created, import.Existing, import.Skipped), Is.EqualTo(((int?)53, (int?)1, (int?)1)));
        var bucher = import.Zones!.Single(z => z.Name == "xn--bcher-kva.de");
        await using (var connection = new MySqlConnection(h.ConnectionString))
        {
            var binding = await connection.QuerySingleAsync<(string Domain, string Status, string ZoneId, long ApiKeyId, string BindingStatus)>("""
                SELECT d.domain, d.status, p.provider_zone_id, p.api_key_id, p.status
                FROM domains d JOIN domain_dns_providers p ON p.domain_id = d.id WHERE d.id = @Id
                """, new { Id = bucher.DomainId });
            Assert.That(binding, Is.EqualTo(("xn--bcher-kva.de", "active", bucher.ZoneId, 1L, "active")));
        }
        Assert.That(await DomainCountAsync(), Is.EqualTo(54));

        var again = await ImportAsync(dryRun: false);

        Assert.That((again.Created, again.Existing, again.Skipped), Is.EqualTo(((int?)0, (int?)54, (int?)1)));
        Assert.That(again.Zones!.Single(z => z.Name == "xn--bcher-kva.de").DomainId, Is.EqualTo(bucher.DomainId));
        Assert.That(await DomainCountAsync(), Is.EqualTo(54));
    }

    [Test]
    public async Task Import_requests_are_charged_to_the_keys_request_budget()
    {
        await ImportAsync(dryRun: true);

        var identity = new CloudflareCredential(WorkerHarness.Token, null).Identity;
        Assert.That(await h.ScalarAsync<long>("SELECT COALESCE(SUM(used), 0) FROM provider_budget_usage WHERE credential = @C", new { C = identity }),
            Is.EqualTo(2));
    }

    [Test]
    public async Task A_request_while_one_is_queued_answers_that_one()
    {
        var first = await Api.RequestAsync(1, dryRun: true, "tester", CancellationToken.None);

        var second = await Api.RequestAsync(1, dryRun: true, "tester", CancellationToken.None);
        var real = await Api.RequestAsync(1, dryRun: false, "tester", CancellationToken.None);

        Assert.That(second.Id, Is.EqualTo(first.Id));
        Assert.That(real.Id, Is.Not.EqualTo(first.Id), "a real import is another request than a dry run");
    }

    [Test]
    public async Task A_key_cloudflare_refuses_ends_the_import_in_error_naming_the_refusal()
    {
        var key = await h.AddApiKeyAsync("unknown-token-00000000");
        var request = await Api.RequestAsync(key, dryRun: false, "tester", CancellationToken.None);

        Assert.That(await importer.RunOnceAsync(CancellationToken.None), Is.True);

        var failed = (await Api.GetAsync(request.Id, CancellationToken.None))!;
        Assert.That(failed.Status, Is.EqualTo("error"));
        Assert.That(failed.LastError, Does.StartWith("cloudflare 4"));
        Assert.That(await importer.RunOnceAsync(CancellationToken.None), Is.False, "an import in error is not retried");
        Assert.That(await DomainCountAsync(), Is.EqualTo(1));
    }

    [Test]
    public async Task The_worker_host_performs_a_requested_import_and_moves_stranded_records_by_itself()
    {
        var request = await Api.RequestAsync(1, dryRun: false, "tester", CancellationToken.None);
        var row = await h.InsertAsync("A", "www", "192.0.2.10");
        using var host = h.Host();
        await host.StartAsync();
        await WorkerHarness.EventuallyAsync(async () => (await Api.GetAsync(request.Id, CancellationToken.None))!.Status == "done", "import done");
        await WorkerHarness.EventuallyAsync(async () => (await h.ExistingRowAsync(row)).Status == "active", "record active");

        var otherZone = h.Emulator.AddZone(WorkerHarness.Zone, "moved-token-0000", account: "moved");
        await h.BindAsync(otherZone, await h.AddApiKeyAsync("moved-token-0000"), moveRecords: true);

        await WorkerHarness.EventuallyAsync(async () => h.Remote().Count == 0 && (await h.ExistingRowAsync(row)).Status == "active",
            "the record moved to the new zone and the old one deleted");
        await host.StopAsync();
        Assert.That(h.Remote(otherZone), Has.Count.EqualTo(1));
        Assert.That(await DomainCountAsync(), Is.EqualTo(54));
    }
}
