using System.Net;
using System.Text;
using DnsSync.Shared.Records;
using DnsSync.Shared.Secrets;
using DnsSync.Testing;
using DnsSync.Worker.Claiming;
using DnsSync.Worker.Cloudflare;
using DnsSync.Worker.Reconciling;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;
using MySqlConnector;
using Refit;

namespace DnsSync.Worker.Tests;

/// <summary>
/// The reconciler's decisions with the Refit interface mocked (the provider boundary); rows of other records
/// come from a real, empty database.
/// </summary>
public sealed class ReconcilerTests
{
    private const string ZoneId = "0123456789abcdef0123456789abcdef";
    private static readonly RefitSettings Settings = new();
    private string connectionString = "";
    private ServiceProvider services = null!;
    private Mock<ICloudflareApi> api = null!;
    private MockSequence sequence = null!;

    [OneTimeSetUp]
    public async Task CreateDatabaseAsync() => connectionString = await TestDatabase.CreateAsync("reconciler");

    [OneTimeTearDown]
    public async Task DropDatabaseAsync() => await TestDatabase.DropAsync(connectionString);

    [SetUp]
    public void BuildServices()
    {
        api = new Mock<ICloudflareApi>(MockBehavior.Strict);
        sequence = new MockSequence();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Default"] = connectionString,
            ["Secrets:Key"] = WorkerHarness.SecretsKey,
            ["DnsWorker:MetricsPort"] = "0",
        }).Build();
        var collection = new ServiceCollection().AddLogging();
        collection.AddDnsWorker(configuration);
        collection.AddSingleton(api.Object);
        services = collection.BuildServiceProvider();
    }

    [TearDown]
    public async Task DisposeAsync() => await services.DisposeAsync();

    private RecordReconciler Reconciler => services.GetRequiredService<RecordReconciler>();

    [Test]
    public async Task First_create_is_one_post_with_the_fqdn_and_ownership_marker()
    {
        RecordBody? sent = null;
        api.Setup(a => a.CreateRecordAsync(ZoneId, It.IsAny<RecordBody>(), It.IsAny<CloudflareCredential>(), It.IsAny<CancellationToken>()))
            .Callback((string _, RecordBody body, CloudflareCredential _, CancellationToken _) => sent = body)
            .ReturnsAsync(Ok(Remote("new1", "A", "www.example.com", "192.0.2.1")));

        var outcome = await Reconciler.ReconcileAsync(Row("A", "www", "192.0.2.1", proxied: true, ttl: 300), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(outcome.Kind, Is.EqualTo(OutcomeKind.Synced));
            Assert.That(outcome.Action, Is.EqualTo("create"));
            Assert.That(outcome.ProviderRecordId, Is.EqualTo("new1"));
            Assert.That(sent!.Name, Is.EqualTo("www.example.com"));
            Assert.That(sent.Comment, Does.Match("^dns-sync:[0-9a-f]{16}:42$"), "marked with this database's installation id and the row id");
            Assert.That(sent.Ttl, Is.EqualTo(1), "proxied records are sent with automatic TTL");
            Assert.That(sent.Proxied, Is.True);
        });
        api.Verify(a => a.CreateRecordAsync(ZoneId, It.IsAny<RecordBody>(), It.IsAny<CloudflareCredential>(), It.IsAny<CancellationToken>()), Times.Once);
    }

    [TestCase("AAAA", "2001:db8::1", "2001:0db8:0000:0000:0000:0000:0000:0001", false, 120, 120)]
    [TestCase("CNAME", "target.example.net", "Target.Example.NET.", false, 120, 120)]
    [TestCase("A", "192.0.2.1", "192.0.2.1", true, 300, 1)]
    public async Task Earlier_attempt_is_looked_up_and_an_equivalent_record_adopted_without_changes(
        string type, string value, string remoteContent, bool proxied, int ttl, int remoteTtl)
    {
        var row = Row(type, "www", value, proxied: proxied, ttl: ttl, previousAttempts: 1);
        api.Setup(a => a.ListRecordsAsync(ZoneId, It.Is<RecordListQuery>(q => q.Type == type && q.Name == "www.example.com" && q.Page == 1),
                It.IsAny<CloudflareCredential>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(Ok(new List<CloudflareDnsRecord> { Remote("found", type, "www.example.com", remoteContent, ttl: remoteTtl, proxied: proxied, comment: "dns-sync:42") }, totalPages: 1));

        var outcome = await Reconciler.ReconcileAsync(row, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(outcome.Kind, Is.EqualTo(OutcomeKind.Synced));
            Assert.That(outcome.Action, Is.EqualTo("adopt"));
            Assert.That(outcome.ProviderRecordId, Is.EqualTo("found"));
        });
        api.VerifyAll();
        api.VerifyNoOtherCalls();
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task Identical_record_error_leads_to_lookup_and_adoption(bool wrapped)
    {
        var body = wrapped
            ? """{"success":false,"errors":[{"code":1004,"message":"DNS Validation Error","error_chain":[{"code":81058,"message":"An identical record already exists."}]}],"result":null}"""
            : """{"success":false,"errors":[{"code":81058,"message":"An identical record already exists."}],"result":null}""";
        api.InSequence(sequence).Setup(a => a.CreateRecordAsync(ZoneId, It.IsAny<RecordBody>(), It.IsAny<CloudflareCredential>(), It.IsAny<CancellationToken>()))
            .Returns(() => FailAsync<CloudflareDnsRecord>(HttpStatusCode.BadRequest, body));
        api.InSequence(sequence).Setup(a => a.ListRecordsAsync(ZoneId, It.IsAny<RecordListQuery>(), It.IsAny<CloudflareCredential>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(Ok(new List<CloudflareDnsRecord> { Remote("byhand", "A", "www.example.com", "192.0.2.1") }, totalPages: 1));

        var outcome = await Reconciler.ReconcileAsync(Row("A", "www", "192.0.2.1"), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(outcome.Kind, Is.EqualTo(OutcomeKind.Synced));
            Assert.That(outcome.ProviderRecordId, Is.EqualTo("byhand"));
        });
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task Validation_error_names_the_9xxx_code_whether_wrapped_in_1004_or_not(bool wrapped)
    {
        var body = wrapped
            ? """{"success":false,"errors":[{"code":1004,"message":"DNS Validation Error","error_chain":[{"code":9005,"message":"Content for A record must be a valid IPv4 address."}]}],"result":null}"""
            : """{"success":false,"errors":[{"code":9005,"message":"Content for A record must be a valid IPv4 address."}],"result":null}""";
        api.Setup(a => a.CreateRecordAsync(ZoneId, It.IsAny<RecordBody>(), It.IsAny<CloudflareCredential>(), It.IsAny<CancellationToken>()))
            .Returns(() => FailAsync<CloudflareDnsRecord>(HttpStatusCode.BadRequest, body));

        var outcome = await Reconciler.ReconcileAsync(Row("A", "www", "300.1.1.1"), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(outcome.Kind, Is.EqualTo(OutcomeKind.Failed));
            Assert.That(outcome.Error, Is.EqualTo("cloudflare 400 9005: Content for A record must be a valid IPv4 address."));
            Assert.That(outcome.ProviderStatus, Is.EqualTo(400));
            Assert.That(outcome.RemoteUncertain, Is.False, "a refused create created nothing");
        });
    }

    [Test]
    public async Task Patch_of_a_vanished_record_looks_up_then_creates_anew()
    {
        var row = Row("A", "www", "192.0.2.2", providerRecordId: "vanished", previousAttempts: 1, changed: true);
        api.InSequence(sequence).Setup(a => a.PatchRecordAsync(ZoneId, "vanished", It.IsAny<RecordBody>(), It.IsAny<CloudflareCredential>(), It.IsAny<CancellationToken>()))
            .Returns(() => FailAsync<CloudflareDnsRecord>(HttpStatusCode.NotFound, """{"success":false,"errors":[{"code":81044,"message":"Record does not exist."}],"result":null}"""));
        api.InSequence(sequence).Setup(a => a.ListRecordsAsync(ZoneId, It.IsAny<RecordListQuery>(), It.IsAny<CloudflareCredential>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(Ok(new List<CloudflareDnsRecord>(), totalPages: 0));
        api.InSequence(sequence).Setup(a => a.CreateRecordAsync(ZoneId, It.IsAny<RecordBody>(), It.IsAny<CloudflareCredential>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(Ok(Remote("fresh", "A", "www.example.com", "192.0.2.2")));

        var outcome = await Reconciler.ReconcileAsync(row, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(outcome.Action, Is.EqualTo("create"));
            Assert.That(outcome.ProviderRecordId, Is.EqualTo("fresh"));
        });
        api.VerifyAll();
    }

    [Test]
    public async Task Unchanged_synced_row_makes_no_request()
    {
        var outcome = await Reconciler.ReconcileAsync(Row("A", "www", "192.0.2.1", providerRecordId: "abc", previousAttempts: 1, changed: false), CancellationToken.None);

        Assert.That((outcome.Kind, outcome.Action, outcome.ProviderRecordId), Is.EqualTo((OutcomeKind.Synced, "noop", "abc")));
        api.VerifyNoOtherCalls();
    }

    [Test]
    public async Task Lookup_reads_every_page_until_result_info_says_done()
    {
        var row = Row("A", "www", "192.0.2.9", previousAttempts: 1);
        for (var page = 1; page <= 3; page++)
        {
            var p = page;
            var records = p == 3
                ? new List<CloudflareDnsRecord> { Remote("mine", "A", "www.example.com", "192.0.2.9", comment: "dns-sync:42") }
                : Enumerable.Range(0, 2).Select(i => Remote($"p{p}r{i}", "A", "www.example.com", $"198.51.100.{p * 10 + i}")).ToList();
            api.Setup(a => a.ListRecordsAsync(ZoneId, It.Is<RecordListQuery>(q => q.Page == p), It.IsAny<CloudflareCredential>(), It.IsAny<CancellationToken>()))
                .ReturnsAsync(Ok(records, totalPages: 3));
        }

        var outcome = await Reconciler.ReconcileAsync(row, CancellationToken.None);

        Assert.That(outcome.ProviderRecordId, Is.EqualTo("mine"));
        api.VerifyAll();
    }

    [Test]
    public async Task Delete_of_an_unknown_id_counts_as_gone()
    {
        api.Setup(a => a.DeleteRecordAsync(ZoneId, "gone", It.IsAny<CloudflareCredential>(), It.IsAny<CancellationToken>()))
            .Returns(() => FailAsync<DeletedRecord>(HttpStatusCode.NotFound, """{"success":false,"errors":[{"code":81044,"message":"Record does not exist."}],"result":null}"""));

        var outcome = await Reconciler.ReconcileAsync(Row("A", "www", "192.0.2.1", providerRecordId: "gone", absent: true, previousAttempts: 1), CancellationToken.None);

        Assert.That((outcome.Kind, outcome.Action), Is.EqualTo((OutcomeKind.Removed, "delete")));
    }

    [Test]
    public async Task Row_whose_lease_is_nearly_over_is_released_without_a_request()
    {
        var row = Row("A", "www", "192.0.2.1");
        row.LeaseDeadline = DateTimeOffset.UtcNow.AddSeconds(3);

        var outcome = await Reconciler.ReconcileAsync(row, CancellationToken.None);

        Assert.That(outcome.Kind, Is.EqualTo(OutcomeKind.Released));
        api.VerifyNoOtherCalls();
    }

    [Test]
    public async Task Global_api_key_row_becomes_an_email_and_key_credential_that_never_prints_its_secret()
    {
        CloudflareCredential? used = null;
        api.Setup(a => a.CreateRecordAsync(ZoneId, It.IsAny<RecordBody>(), It.IsAny<CloudflareCredential>(), It.IsAny<CancellationToken>()))
            .Callback((string _, RecordBody _, CloudflareCredential c, CancellationToken _) => used = c)
            .ReturnsAsync(Ok(Remote("x", "A", "www.example.com", "192.0.2.1")));

        await Reconciler.ReconcileAsync(Row("A", "www", "192.0.2.1", email: "ops@example.com"), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(used!.Email, Is.EqualTo("ops@example.com"));
            Assert.That(used.Secret, Is.EqualTo("secret-key"));
            Assert.That(used.ToString(), Does.Not.Contain("secret-key"));
        });
    }

    [Test]
    public async Task Batch_results_are_matched_to_rows_by_their_marker_never_by_position()
    {
        var rows = Enumerable.Range(1, 3).Select(i => Row("A", $"h{i}", $"192.0.2.{i}", id: 100 + i)).ToList();
        BatchBody? sent = null;
        api.Setup(a => a.BatchAsync(ZoneId, It.IsAny<BatchBody>(), It.IsAny<CloudflareCredential>(), It.IsAny<CancellationToken>()))
            .Callback((string _, BatchBody body, CloudflareCredential _, CancellationToken _) => sent = body)
            .Returns(() => Task.FromResult(Ok(new BatchResult
            {
                // Answered in the reverse order of the request.
                Posts = sent!.Posts!.AsEnumerable().Reverse()
                    .Select(p => Remote($"id-of-{p.Name}", "A", p.Name!, p.Content!, comment: p.Comment)).ToList(),
            })));

        var outcomes = await services.GetRequiredService<ZoneReconciler>().ReconcileAsync(rows, CancellationToken.None, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(outcomes.Select(o => o.Outcome.Kind), Has.All.EqualTo(OutcomeKind.Synced));
            Assert.That(outcomes.Select(o => (o.Record.Id, o.Outcome.ProviderRecordId)),
                Is.EqualTo(rows.Select(r => (r.Id, (string?)$"id-of-{r.Fqdn}"))), "each row gets the record carrying its marker");
            Assert.That(outcomes.Select(o => o.Outcome.RemoteUncertain), Has.All.True, "created: the attempt stays counted");
        });
        api.Verify(a => a.BatchAsync(ZoneId, It.IsAny<BatchBody>(), It.IsAny<CloudflareCredential>(), It.IsAny<CancellationToken>()), Times.Once);
    }

    [Test]
    public async Task Batch_answered_without_a_posts_marker_leaves_that_row_failed_and_uncertain()
    {
        var rows = Enumerable.Range(1, 2).Select(i => Row("A", $"h{i}", $"192.0.2.{i}", id: 200 + i)).ToList();
        api.Setup(a => a.BatchAsync(ZoneId, It.IsAny<BatchBody>(), It.IsAny<CloudflareCredential>(), It.IsAny<CancellationToken>()))
            .Returns((string _, BatchBody body, CloudflareCredential _, CancellationToken _) => Task.FromResult(Ok(new BatchResult
            {
                Posts = [Remote("only", "A", body.Posts![0].Name!, body.Posts[0].Content!, comment: body.Posts[0].Comment)],
            })));

        var outcomes = await services.GetRequiredService<ZoneReconciler>().ReconcileAsync(rows, CancellationToken.None, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(outcomes[0].Outcome.Kind, Is.EqualTo(OutcomeKind.Synced));
            Assert.That(outcomes[1].Outcome.Kind, Is.EqualTo(OutcomeKind.Failed));
            Assert.That(outcomes[1].Outcome.Error, Does.Contain("without a record marked"));
            Assert.That(outcomes[1].Outcome.RemoteUncertain, Is.True, "it may exist: the next attempt looks");
            Assert.That(outcomes[1].Outcome.ProviderRecordId, Is.Null);
        });
    }

    [Test]
    public async Task Zone_without_a_batch_endpoint_falls_back_to_plain_requests()
    {
        var rows = Enumerable.Range(1, 2).Select(i => Row("A", $"h{i}", $"192.0.2.{i}", id: 300 + i)).ToList();
        const string noRoute = """{"success":false,"errors":[{"code":7003,"message":"Could not route to /zones/x/dns_records/batch, perhaps your object identifier is invalid?"}],"result":null}""";
        api.Setup(a => a.BatchAsync(ZoneId, It.IsAny<BatchBody>(), It.IsAny<CloudflareCredential>(), It.IsAny<CancellationToken>()))
            .Returns(() => FailAsync<BatchResult>(HttpStatusCode.NotFound, noRoute));
        api.Setup(a => a.CreateRecordAsync(ZoneId, It.IsAny<RecordBody>(), It.IsAny<CloudflareCredential>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((string _, RecordBody body, CloudflareCredential _, CancellationToken _) => Ok(Remote($"id-{body.Name}", "A", body.Name!, body.Content!, comment: body.Comment)));

        var outcomes = await services.GetRequiredService<ZoneReconciler>().ReconcileAsync(rows, CancellationToken.None, CancellationToken.None);

        Assert.That(outcomes.Select(o => (o.Outcome.Kind, o.Outcome.ProviderRecordId)),
            Is.EqualTo(rows.Select(r => (OutcomeKind.Synced, (string?)$"id-{r.Fqdn}"))), "each row created with a plain request");
        api.Verify(a => a.BatchAsync(ZoneId, It.IsAny<BatchBody>(), It.IsAny<CloudflareCredential>(), It.IsAny<CancellationToken>()), Times.Once, "no bisection of a missing endpoint");
    }

    [Test]
    public async Task Batch_answer_without_comments_is_matched_by_type_name_and_content_not_position()
    {
        var rows = Enumerable.Range(1, 3).Select(i => Row("A", $"n{i}", $"192.0.2.{i}", id: 400 + i)).ToList();
        api.Setup(a => a.BatchAsync(ZoneId, It.IsAny<BatchBody>(), It.IsAny<CloudflareCredential>(), It.IsAny<CancellationToken>()))
            .Returns((string _, BatchBody body, CloudflareCredential _, CancellationToken _) => Task.FromResult(Ok(new BatchResult
            {
                Posts = body.Posts!.AsEnumerable().Reverse().Select(p => Remote($"id-of-{p.Name}", "A", p.Name!, p.Content!)).ToList(),
            })));

        var outcomes = await services.GetRequiredService<ZoneReconciler>().ReconcileAsync(rows, CancellationToken.None, CancellationToken.None);

        Assert.That(outcomes.Select(o => o.Outcome.ProviderRecordId), Is.EqualTo(rows.Select(r => (string?)$"id-of-{r.Fqdn}")));
    }

    private static ClaimedRecord Row(string type, string name, string value, bool proxied = false, int ttl = 120,
        string? providerRecordId = null, int previousAttempts = 0, bool absent = false, bool changed = true, string? email = null, long id = 42)
    {
        return new ClaimedRecord
        {
            Id = id, DomainId = 1, Type = type, Name = name, Value = value, Ttl = ttl, Proxied = proxied,
            DesiredState = absent ? DesiredState.Absent : DesiredState.Present, ProviderRecordId = providerRecordId,
            Version = 2, SyncedVersion = providerRecordId is null ? null : changed ? 1 : 2,
            Zone = "example.com", DomainStatus = "active", ProviderZoneId = ZoneId, BindingStatus = "active", BindingProvider = "cloudflare",
            ApiKeyId = 1, ApiKeyAccount = email, ApiKeyToken = email is null ? "token" : "secret-key", ApiKeyStatus = "active",
            PreviousStatus = RecordStatus.Pending, PreviousAttemptCount = previousAttempts,
            LeaseDeadline = DateTimeOffset.UtcNow.AddMinutes(2),
        };
    }

    private static CloudflareDnsRecord Remote(string id, string type, string name, string content, int ttl = 120, bool proxied = false, string? comment = null) =>
        new() { Id = id, Type = type, Name = name, Content = content, Ttl = ttl, Proxied = proxied, Comment = comment };

    private static IApiResponse<CloudflareEnvelope<T>> Ok<T>(T result, int? totalPages = null) =>
        new ApiResponse<CloudflareEnvelope<T>>(
            new HttpResponseMessage(HttpStatusCode.OK) { RequestMessage = new HttpRequestMessage(HttpMethod.Get, "https://api.cloudflare.com/client/v4/zones") },
            new CloudflareEnvelope<T> { Success = true, Result = result, ResultInfo = totalPages is null ? null : new ResultInfo { TotalPages = totalPages } },
            Settings);

    private static async Task<IApiResponse<CloudflareEnvelope<T>>> FailAsync<T>(HttpStatusCode status, string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "https://api.cloudflare.com/client/v4/zones");
        var response = new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json"), RequestMessage = request };
        var error = await ApiException.Create(request, HttpMethod.Post, response, Settings);
        return new ApiResponse<CloudflareEnvelope<T>>(response, default, Settings, error);
    }
}
