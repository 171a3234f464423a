using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;

namespace DnsSync.CloudflareEmulator.Tests;

public sealed class FaultTests : EmulatorTestBase
{
    private static readonly object NewRecord = new { type = "A", name = "www", content = "192.0.2.1" };

    [Test]
    public async Task Latency_delays_the_reply_and_then_serves_it()
    {
        Server.AddFault(new FaultRule { Kind = FaultKind.Latency, LatencyMs = 300, PathPattern = "/dns_records$" });
        var watch = Stopwatch.StartNew();

        var response = await Api.GetAsync(CfApi.Records(ZoneId));

        Assert.That(watch.ElapsedMilliseconds, Is.GreaterThanOrEqualTo(280));
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Request_log_records_how_long_each_request_was_held()
    {
        Server.AddFault(new FaultRule { Kind = FaultKind.Latency, LatencyMs = 300, PathPattern = "/dns_records$", Count = 1 });

        await Api.GetAsync(CfApi.Records(ZoneId));
        await Api.GetAsync(CfApi.Records(ZoneId));

        var log = Server.Requests;
        Assert.That(log[0].DurationMs, Is.GreaterThanOrEqualTo(280), "the delayed request was in flight for its latency");
        Assert.That(log[1].DurationMs, Is.LessThan(log[0].DurationMs));
        Assert.That(log[1].Time, Is.GreaterThanOrEqualTo(log[0].Time.AddMilliseconds(log[0].DurationMs - 1)), "in-flight intervals of sequential requests do not overlap");
    }

    [TestCase(FaultKind.RateLimit)]
    [TestCase(FaultKind.ServerError)]
    [TestCase(FaultKind.ApplyThenFail500)]
    public async Task Request_log_names_the_credential_and_the_sent_record_of_faulted_requests_too(FaultKind kind)
    {
        Server.AddFault(new FaultRule { Kind = kind, StatusCode = 503, Method = "POST", Count = 1 });

        var faulted = await Api.CreateAsync(ZoneId, new { type = "A", name = "www", content = "192.0.2.1", comment = "dns-sync:42" });
        var normal = await Api.GetAsync(CfApi.Records(ZoneId) + "?name=www.example.com");

        var log = Server.Requests;
        Assert.Multiple(() =>
        {
            Assert.That(faulted.Status, Is.Not.EqualTo(HttpStatusCode.OK), "the fault fired");
            Assert.That(normal.Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(log.Select(r => r.Credential), Is.All.EqualTo(EmulatorServer.TokenIdentity(Token)), "faulted and normal requests alike");
            Assert.That(log[0].Fault, Is.EqualTo(kind.ToString()));
            Assert.That((log[0].RecordName, log[0].Comment), Is.EqualTo(("www", "dns-sync:42")), "the body as sent");
            Assert.That((log[1].RecordName, log[1].Comment), Is.EqualTo(((string?)null, (string?)null)), "a GET has no body");
        });
    }

    [TestCase(null)]
    [TestCase(FaultKind.RateLimit)]
    [TestCase(FaultKind.ApplyThenDrop)]
    public async Task Request_log_names_every_post_of_a_batch_as_sent_and_the_record_it_created(FaultKind? kind)
    {
        if (kind is { } fault) Server.AddFault(new FaultRule { Kind = fault, Method = "POST", PathPattern = "/batch$", Count = 1 });
        var existing = await Api.CreateIdAsync(ZoneId, new { type = "TXT", name = "old", content = "v" });

        try
        {
            await Api.SendAsync(HttpMethod.Post, CfApi.Records(ZoneId) + "/batch", new
            {
                deletes = new[] { new { id = existing } },
                posts = new object[]
                {
                    new { type = "A", name = "a", content = "192.0.2.1", comment = "dns-sync:i1:7" },
                    new { type = "A", name = "b.example.com", content = "192.0.2.2" },
                },
            });
        }
        catch (HttpRequestException) when (kind == FaultKind.ApplyThenDrop)
        {
        }

        // A request is logged when the server has finished with it: after a dropped reply the client can get here first.
        var logged = System.Diagnostics.Stopwatch.StartNew();
        while (Server.Requests.Count < 2 && logged.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(20);
        var batch = Server.Requests[^1];
        var created = Server.Records(ZoneId).Where(r => r.Type == "A").OrderBy(r => r.Name).Select(r => r.Id).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(batch.Path, Does.EndWith("/dns_records/batch"));
            Assert.That(batch.Fault, Is.EqualTo(kind?.ToString()));
            Assert.That(batch.Posts?.Select(p => (p.Name, p.Comment)), Is.EqualTo(new[] { ("a", "dns-sync:i1:7"), ("b.example.com", (string?)null) }),
                "each post's name and comment, in the order sent");
            Assert.That(batch.Posts?.Select(p => p.CreatedId), kind == FaultKind.RateLimit ? Is.All.Null : Is.EqualTo(created),
                "the record each post created, when the batch was applied (the reply lost or not)");
            Assert.That(created, Has.Count.EqualTo(kind == FaultKind.RateLimit ? 0 : 2));
            Assert.That(batch.Deletes, Is.EqualTo(new[] { existing }), "the ids of the deletes as sent");
            Assert.That(batch.Patches, Is.Null, "no patches sent");
            Assert.That((batch.RecordName, batch.Comment), Is.EqualTo(((string?)null, (string?)null)), "a batch body has no top-level record");
            Assert.That(Server.Requests[0].Posts, Is.Null, "a create's body has no posts");
        });
    }

    [Test]
    public async Task Request_log_names_the_credential_of_an_unknown_token_and_none_for_a_malformed_header()
    {
        await Api.GetAsync(CfApi.Records(ZoneId), h => h.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "unknown-token"));
        await Api.GetAsync(CfApi.Records(ZoneId), h => h.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", "x"));

        Assert.That(Server.Requests.Select(r => r.Credential), Is.EqualTo(new[] { EmulatorServer.TokenIdentity("unknown-token"), null }));
    }

    [Test]
    public async Task Apply_then_hang_commits_the_change_before_the_reply_is_held()
    {
        Server.AddFault(new FaultRule { Kind = FaultKind.ApplyThenHang, Method = "POST", Count = 1, HangMs = 2000 });

        var watch = Stopwatch.StartNew();
        var create = Api.CreateAsync(ZoneId, NewRecord);
        await WaitForAsync(() => Task.FromResult(Server.Records(ZoneId).Count), n => n == 1, TimeSpan.FromSeconds(5));
        var heldWhenApplied = !create.IsCompleted;
        var reply = await create;

        Assert.Multiple(() =>
        {
            Assert.That(heldWhenApplied, Is.True, "applied while the reply was still held");
            Assert.That(watch.ElapsedMilliseconds, Is.GreaterThanOrEqualTo(1950));
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.OK), "then the real reply");
            Assert.That(reply.Id, Is.EqualTo(Server.Records(ZoneId).Single().Id));
        });
    }

    [Test]
    public async Task Server_error_applies_to_the_next_n_requests_only()
    {
        Server.AddFault(new FaultRule { Kind = FaultKind.ServerError, StatusCode = 503, Count = 2, Method = "POST" });

        var first = await Api.CreateAsync(ZoneId, NewRecord);
        var second = await Api.CreateAsync(ZoneId, NewRecord);
        var third = await Api.CreateAsync(ZoneId, NewRecord);

        Assert.That(first.Status, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(second.Status, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(third.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(Server.Records(ZoneId), Has.Count.EqualTo(1), "a 5xx fault applies nothing");
    }

    [Test]
    public async Task Fault_matches_only_its_method_and_path()
    {
        Server.AddFault(new FaultRule { Kind = FaultKind.ServerError, Method = "DELETE", PathPattern = "^/zones/[^/]+/dns_records/[0-9a-f]{32}$" });

        var list = await Api.GetAsync(CfApi.Records(ZoneId));
        var id = await Api.CreateIdAsync(ZoneId, NewRecord);
        var delete = await Api.SendAsync(HttpMethod.Delete, CfApi.Record(ZoneId, id), null);
        var deleteUnderPrefix = await Api.SendAsync(HttpMethod.Delete, "client/v4/" + CfApi.Record(ZoneId, id), null);

        Assert.That(list.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(delete.Status, Is.EqualTo(HttpStatusCode.InternalServerError));
        Assert.That(deleteUnderPrefix.Status, Is.EqualTo(HttpStatusCode.InternalServerError));
    }

    [Test]
    public async Task Probability_zero_never_fires_and_one_always_fires()
    {
        Server.AddFault(new FaultRule { Kind = FaultKind.ServerError, Probability = 0, PathPattern = "^/zones$" });
        Server.AddFault(new FaultRule { Kind = FaultKind.ServerError, Probability = 1, PathPattern = "^/user/" });

        for (var i = 0; i < 10; i++)
        {
            Assert.That((await Api.GetAsync("zones")).Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((await Api.GetAsync("user/tokens/verify")).Status, Is.EqualTo(HttpStatusCode.InternalServerError));
        }
    }

    [Test]
    public async Task Rate_limit_fault_answers_429_971_with_its_retry_after()
    {
        Server.AddFault(new FaultRule { Kind = FaultKind.RateLimit, RetryAfterSeconds = 7, Count = 1 });

        var response = await Api.GetAsync(CfApi.Records(ZoneId));

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(response.Codes, Is.EqualTo(new[] { 971 }));
        Assert.That(response.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(7)));
    }

    [Test]
    public async Task Hang_outlasts_the_client_timeout_and_applies_nothing()
    {
        Server.AddFault(new FaultRule { Kind = FaultKind.Hang, HangMs = 20_000, Method = "POST" });
        using var impatient = new HttpClient { BaseAddress = Server.BaseUrl, Timeout = TimeSpan.FromMilliseconds(300) };

        Assert.That(async () => await new CfApi(impatient, Token).CreateAsync(ZoneId, NewRecord), Throws.InstanceOf<TaskCanceledException>());

        await WaitUntilAsync(() => Server.Requests.Any(r => r.Fault == "Hang"), because: "the aborted request is logged");
        Assert.That(Server.Requests.Single(r => r.Fault == "Hang").Status, Is.Zero);
        Assert.That(Server.Records(ZoneId), Is.Empty);
    }

    [Test]
    public async Task Hang_that_ends_before_the_client_gives_up_answers_504()
    {
        Server.AddFault(new FaultRule { Kind = FaultKind.Hang, HangMs = 100, Count = 1 });

        var response = await Api.GetAsync(CfApi.Records(ZoneId));

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.GatewayTimeout));
    }

    [Test]
    public async Task Apply_then_fail_commits_the_change_but_answers_500()
    {
        Server.AddFault(new FaultRule { Kind = FaultKind.ApplyThenFail500, Method = "POST", Count = 1 });

        var response = await Api.CreateAsync(ZoneId, NewRecord);
        var retry = await Api.CreateAsync(ZoneId, NewRecord);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.InternalServerError));
        Assert.That(response.Success, Is.False);
        Assert.That(Server.Records(ZoneId), Has.Count.EqualTo(1));
        Assert.That(retry.Codes, Is.EqualTo(new[] { 81058 }), "a blind retry meets the record the failed call created");
    }

    [Test]
    public async Task Apply_then_drop_commits_the_change_and_aborts_the_connection()
    {
        Server.AddFault(new FaultRule { Kind = FaultKind.ApplyThenDrop, Method = "POST", Count = 1 });

        Assert.That(async () => await Api.CreateAsync(ZoneId, NewRecord), Throws.InstanceOf<HttpRequestException>());

        var record = Server.Records(ZoneId).Single();
        await WaitUntilAsync(() => Server.Requests.Any(r => r.Fault == "ApplyThenDrop"));
        var logged = Server.Requests.Single(r => r.Fault == "ApplyThenDrop");
        Assert.That(logged.Status, Is.Zero);
        Assert.That(logged.RecordIds, Is.EqualTo(new[] { record.Id }));
    }

    [Test]
    public async Task Faults_are_managed_over_http_and_never_hit_control_routes()
    {
        var added = await Http.PostAsJsonAsync("__emulator/faults", new { method = "GET", pathPattern = ".*", kind = "ServerError", statusCode = 502 });
        var faulted = await Api.GetAsync("zones");
        var control = await Http.GetAsync("__emulator/requests");
        var listed = await Http.GetFromJsonAsync<FaultRule[]>("__emulator/faults");
        var cleared = await Http.DeleteAsync("__emulator/faults");
        var healed = await Api.GetAsync("zones");

        Assert.That(added.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(faulted.Status, Is.EqualTo(HttpStatusCode.BadGateway));
        Assert.That(control.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(listed!.Single().Kind, Is.EqualTo(FaultKind.ServerError));
        Assert.That(cleared.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(healed.Status, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Invalid_fault_rule_is_refused()
    {
        var response = await Http.PostAsJsonAsync("__emulator/faults", new { pathPattern = "(", kind = "Latency" });

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }
}
