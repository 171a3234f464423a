using System.Net;
using System.Net.Sockets;
using Dapper;
using DnsSync.CloudflareEmulator;
using DnsSync.Shared.Records;
using DnsSync.Worker.Cloudflare;
using DnsSync.Worker.Metrics;
using DnsSync.Worker.Reconciling;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MySqlConnector;

namespace DnsSync.Worker.Tests;

/// <summary>
/// One request budget per credential shared by every worker on the database: separate worker service graphs
/// (separate "workers") against one database, one emulator and one token.
/// </summary>
public sealed class RequestBudgetTests
{
    private const string EarlierRetryAfter = "Retry-After of an earlier 429 from cloudflare";
    private static readonly string Credential = EmulatorServer.TokenIdentity(WorkerHarness.Token);

    private WorkerHarness h = null!;

    [TearDown]
    public async Task StopHarnessAsync() => await h.DisposeAsync();

    [Test]
    public async Task Three_workers_on_one_token_together_never_exceed_its_budget_in_any_window()
    {
        const int limit = 6, windowSec = 8, rows = 30;
        h = await WorkerHarness.StartAsync(new EmulatorOptions { RateLimitRequests = limit, RateLimitWindow = TimeSpan.FromSeconds(windowSec) });
        var passes = new[] { "instance-a", "instance-b", "instance-c" }.Select(instance => h.Worker(instance, s =>
        {
            s["Cloudflare:RequestsPerWindow"] = limit.ToString(System.Globalization.CultureInfo.InvariantCulture);
            s["Cloudflare:WindowSec"] = windowSec.ToString(System.Globalization.CultureInfo.InvariantCulture);
            // One row per claim: every worker holds rows and all three send at once, one request per row (a larger
            // claim would go to Cloudflare as one batch request).
            s["DnsWorker:BatchSize"] = "1";
        }).GetRequiredService<SyncPass>()).ToList();
        for (var i = 0; i < rows; i++) await h.InsertAsync("A", $"h{i}", $"192.0.2.{i + 1}");

        var maxRetry = 0;
        using (var stop = new CancellationTokenSource())
        {
            var workers = passes.Select(pass => DriveAsync(pass, stop.Token)).ToList();
            try
            {
                await WorkerHarness.EventuallyAsync(async () =>
                {
                    maxRetry = Math.Max(maxRetry, await h.ScalarAsync<int>("SELECT MAX(retry_count) FROM domain_dns_records"));
                    return await h.ScalarAsync<long>("SELECT COUNT(*) FROM domain_dns_records WHERE status = 'active'") == rows;
                }, $"all {rows} rows active", seconds: 150);
            }
            finally
            {
                await stop.CancelAsync();
                await Task.WhenAll(workers);
            }
        }

        var sent = h.Requests().Where(r => r.Credential == Credential).ToList();
        var fullest = sent.Max(r => sent.Count(o => o.Time > r.Time - TimeSpan.FromSeconds(windowSec) && o.Time <= r.Time));
        Assert.Multiple(() =>
        {
            Assert.That(sent.Select(r => r.Status), Has.None.EqualTo(429), "the emulator never had to refuse");
            Assert.That(fullest, Is.LessThanOrEqualTo(limit), $"at most {limit} requests in any {windowSec} s");
            Assert.That(sent, Has.Count.EqualTo(rows), "one create per row, nothing wasted");
            Assert.That(maxRetry, Is.Zero, "waiting for budget never counts as a failure");
            Assert.That(h.Remote(), Has.Count.EqualTo(rows));
        });
    }

    [Test]
    public async Task A_429_received_by_one_worker_keeps_another_from_sending_until_its_retry_after()
    {
        const int retryAfterSec = 3;
        h = await WorkerHarness.StartAsync();
        var a = h.Worker("instance-a").GetRequiredService<SyncPass>();
        var b = h.Worker("instance-b").GetRequiredService<SyncPass>();
        var first = await h.InsertAsync("A", "one", "192.0.2.1");
        h.Emulator.AddFault(new FaultRule { Kind = FaultKind.RateLimit, Count = 1, RetryAfterSeconds = retryAfterSec });

        await a.RunOnceAsync(CancellationToken.None);
        var limited = h.Requests().Single();
        Assert.That(limited.Status, Is.EqualTo(429), "worker A got the 429");

        var second = await h.InsertAsync("A", "two", "192.0.2.2");
        await b.RunOnceAsync(CancellationToken.None);
        var refused = await h.ExistingRowAsync(second);
        Assert.Multiple(() =>
        {
            Assert.That(h.Requests(), Has.Count.EqualTo(1), "worker B sent nothing while the token is blocked");
            Assert.That(refused.Status, Is.EqualTo(RecordStatus.Pending));
            Assert.That(refused.RetryCount, Is.Zero);
            Assert.That(refused.AttemptCount, Is.Zero, "nothing was sent for it");
            Assert.That(refused.LastError, Does.Contain(EarlierRetryAfter));
            Assert.That(refused.NextRetryAt, Is.GreaterThanOrEqualTo(limited.Time.UtcDateTime.AddSeconds(retryAfterSec)), "due again when the block ends");
        });

        await h.RunUntilAsync(async () => (await h.ExistingRowAsync(first)).Status == RecordStatus.Active
                                          && (await h.ExistingRowAsync(second)).Status == RecordStatus.Active,
            "both rows active through worker B", pass: b);

        var afterwards = h.Requests().Where(r => r != limited).ToList();
        Assert.Multiple(async () =>
        {
            Assert.That(afterwards, Is.Not.Empty);
            Assert.That(afterwards.Select(r => r.Time), Has.All.GreaterThanOrEqualTo(limited.Time.AddSeconds(retryAfterSec)),
                "nothing sent for the token before the Retry-After of A's 429 had passed");
            Assert.That(await h.ScalarAsync<int>("SELECT MAX(retry_count) FROM domain_dns_records"), Is.Zero);
        });
    }

    [Test]
    public async Task Reservation_refuses_a_full_window_until_its_oldest_usage_has_left_it()
    {
        h = await WorkerHarness.StartAsync();
        const string identity = "token:full-window";
        Action<Dictionary<string, string?>> settings = s =>
        {
            s["Cloudflare:RequestsPerWindow"] = "3";
            s["Cloudflare:WindowSec"] = "60";
        };
        // Two slots inside the window (3 requests: the budget is spent) and one that has left it.
        var oldest = await h.ScalarAsync<long>("""
            INSERT INTO provider_budget_usage (credential, slot, used)
            VALUES (@C, UNIX_TIMESTAMP() - 20, 1), (@C, UNIX_TIMESTAMP() - 10, 2), (@C, UNIX_TIMESTAMP() - 500, 7);
            SELECT MIN(slot) FROM provider_budget_usage WHERE credential = @C AND slot > UNIX_TIMESTAMP() - 100;
            """, new { C = identity });

        // A slot counts while slot ≥ now - 60 - 1, so slot s leaves the window at s + 62 on the database's clock.
        var (one, oneFrom, oneTo) = await RefusedAsync(h.Worker("instance-a", settings).GetRequiredService<RequestBudget>(), identity, 1);
        var (two, twoFrom, twoTo) = await RefusedAsync(h.Worker("instance-b", settings).GetRequiredService<RequestBudget>(), identity, 2);

        Assert.Multiple(async () =>
        {
            Assert.That(one.Message, Does.Contain("waiting for the request budget of this API token (3 requests per 60 s)"));
            Assert.That(one.FromProvider, Is.False);
            Assert.That(one.RetryAfter, Is.InRange(Until(oldest + 62, oneTo), Until(oldest + 62, oneFrom)),
                "one request fits once the oldest slot (1 request) has left");
            Assert.That(two.RetryAfter, Is.InRange(Until(oldest + 10 + 62, twoTo), Until(oldest + 10 + 62, twoFrom)),
                "two fit only once the second-oldest slot has left too");
            Assert.That(await h.ScalarAsync<long>("SELECT SUM(used) FROM provider_budget_usage WHERE credential = @C", new { C = identity }),
                Is.EqualTo(10), "a refusal records nothing");
        });
    }

    [Test]
    public async Task Reservation_counts_on_the_database_clock_and_drops_slots_that_left_the_window()
    {
        h = await WorkerHarness.StartAsync();
        const string identity = "token:counting";
        var budget = h.Worker(configure: s => s["Cloudflare:WindowSec"] = "60").GetRequiredService<RequestBudget>();
        await h.ExecuteAsync("INSERT INTO provider_budget_usage (credential, slot, used) VALUES (@C, UNIX_TIMESTAMP() - 62, 5)", new { C = identity });

        var before = await h.ScalarAsync<long>("SELECT UNIX_TIMESTAMP()");
        await budget.ReserveAsync(identity, 2, CancellationToken.None);
        await budget.ReserveAsync(identity, 1, CancellationToken.None);
        var after = await h.ScalarAsync<long>("SELECT UNIX_TIMESTAMP()");

        var slots = (await QueryAsync<(long Slot, int Used)>("SELECT slot, used FROM provider_budget_usage WHERE credential = @C", new { C = identity })).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(slots.Sum(s => s.Used), Is.EqualTo(3), "the 5 requests of 62 s ago left the window and their slot was deleted");
            Assert.That(slots.Select(s => s.Slot), Has.All.InRange(before, after), "slots are the database's epoch seconds");
            Assert.That(WorkerMetrics.BudgetUsed.WithLabels(identity).Value, Is.EqualTo(3));
            Assert.That(WorkerMetrics.BudgetBlockedUntil.WithLabels(identity).Value, Is.Zero);
        });
    }

    [Test]
    public async Task A_block_is_only_ever_extended_and_every_worker_honours_it()
    {
        h = await WorkerHarness.StartAsync();
        const string identity = "token:blocked";
        var a = h.Worker("instance-a").GetRequiredService<RequestBudget>();
        var before = await h.ScalarAsync<DateTime>("SELECT UTC_TIMESTAMP(6)");
        await a.BlockAsync(identity, TimeSpan.FromSeconds(30), "first 429", CancellationToken.None);
        await a.BlockAsync(identity, TimeSpan.FromSeconds(5), "second 429", CancellationToken.None);
        var after = await h.ScalarAsync<DateTime>("SELECT UTC_TIMESTAMP(6)");

        var (until, reason) = (await QueryAsync<(DateTime, string)>(
            "SELECT blocked_until, block_reason FROM provider_budget WHERE credential = @C", new { C = identity })).Single();
        var refused = Assert.ThrowsAsync<CloudflareRateLimitedException>(() =>
            h.Worker("instance-b").GetRequiredService<RequestBudget>().ReserveAsync(identity, 1, CancellationToken.None));
        Assert.Multiple(() =>
        {
            Assert.That(until, Is.InRange(before.AddSeconds(30), after.AddSeconds(30)), "the shorter block did not shorten it");
            Assert.That(reason, Is.EqualTo("first 429"));
            Assert.That(refused!.Message, Does.Contain("first 429"));
            Assert.That(refused.RetryAfter, Is.InRange(TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(30)));
            Assert.That(WorkerMetrics.BudgetBlockedUntil.WithLabels(identity).Value,
                Is.EqualTo(new DateTimeOffset(until, TimeSpan.Zero).ToUnixTimeMilliseconds() / 1000.0).Within(0.001));
        });
    }

    [Test]
    public async Task A_long_global_key_identity_is_stored_under_a_hash_that_fits_the_column()
    {
        h = await WorkerHarness.StartAsync();
        var identity = new CloudflareCredential("0123456789abcdef0123456789abcdef01234", new string('o', 90) + "@example.com").Identity;
        var budget = h.Worker().GetRequiredService<RequestBudget>();

        await budget.ReserveAsync(identity, 1, CancellationToken.None);

        var stored = await h.ScalarAsync<string>("SELECT credential FROM provider_budget");
        Assert.Multiple(() =>
        {
            Assert.That(stored, Has.Length.LessThanOrEqualTo(64).And.StartsWith("sha256:"));
            Assert.That(stored, Is.Not.EqualTo(RequestBudget.CredentialKey(identity + "x")));
            Assert.That(WorkerMetrics.BudgetUsed.WithLabels(identity).Value, Is.EqualTo(1), "metrics keep the identity itself");
        });
    }

    [Test]
    public async Task Row_is_not_sent_but_failed_when_its_budget_cannot_be_reserved()
    {
        h = await WorkerHarness.StartAsync();
        var id = await h.InsertAsync("A", "www", "192.0.2.1");
        // The budget's usage cannot be read (an unmigrated or broken table); everything else works.
        await h.ExecuteAsync("RENAME TABLE provider_budget_usage TO provider_budget_usage_gone");

        await h.RunPassAsync();

        var row = await h.ExistingRowAsync(id);
        Assert.Multiple(() =>
        {
            Assert.That(h.Requests(), Is.Empty, "never sent without a budget");
            Assert.That(row.Status, Is.EqualTo(RecordStatus.Error));
            Assert.That(row.LastError, Does.Contain("could not be reserved in the database"));
        });
    }

    [Test]
    public async Task Client_sends_nothing_when_the_database_is_unreachable()
    {
        h = await WorkerHarness.StartAsync();
        var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        var client = h.Worker(configure: s => s["ConnectionStrings:Default"] = $"Server=127.0.0.1;Port={port};Database=x;User ID=x;Connection Timeout=2")
            .GetRequiredService<CloudflareClient>();

        var error = Assert.ThrowsAsync<CloudflareTransportException>(() =>
            client.ListAsync(new CloudflareCredential(WorkerHarness.Token, null), h.ZoneId, "A", "www.example.com", CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(error!.Message, Does.Contain("request budget"));
            Assert.That(h.Requests(), Is.Empty);
        });
    }

    /// <summary>Runs passes until <paramref name="stop"/>, pausing briefly after a pass that claimed nothing.</summary>
    private static async Task DriveAsync(SyncPass pass, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            if (await pass.RunOnceAsync(CancellationToken.None) > 0) continue;
            try
            {
                await Task.Delay(100, stop);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>The refusal, with the database's clock (epoch µs) read before and after it.</summary>
    private async Task<(CloudflareRateLimitedException Error, long FromMicros, long ToMicros)> RefusedAsync(RequestBudget budget, string identity, int count)
    {
        const string now = "SELECT TIMESTAMPDIFF(MICROSECOND, '1970-01-01', UTC_TIMESTAMP(6))";
        var from = await h.ScalarAsync<long>(now);
        var error = Assert.ThrowsAsync<CloudflareRateLimitedException>(() => budget.ReserveAsync(identity, count, CancellationToken.None));
        var to = await h.ScalarAsync<long>(now);
        return (error!, from, to);
    }

    private static TimeSpan Until(long epochSecond, long nowMicros) => TimeSpan.FromMicroseconds(epochSecond * 1_000_000 - nowMicros);

    private async Task<IEnumerable<T>> QueryAsync<T>(string sql, object parameters)
    {
        await using var connection = new MySqlConnection(h.ConnectionString);
        return await connection.QueryAsync<T>(sql, parameters);
    }
}
