using System.Net;
using System.Net.Http.Json;
using Dapper;

namespace DnsSync.Api.Tests;

/// <summary>Update, delete and retry with the record's version (body or If-Match): a stale one is 409 naming the current version.</summary>
public sealed class VersionTests : ApiTestBase
{
    [Test]
    public async Task Update_with_a_stale_version_is_409_naming_the_current_one_and_changes_nothing()
    {
        var (domainId, _) = await SeedZoneAsync();
        var id = (await CreateRecordAsync(domainId, "A", "v", "192.0.2.1")).AssertOk().Data.GetProperty("id").GetInt64();
        (await PostAsync("/api/v1/dns/records/update", new { id, value = "192.0.2.2", version = 1 })).AssertOk();
        var before = await RowCountsAsync();

        var stale = (await PostAsync("/api/v1/dns/records/update", new { id, value = "192.0.2.3", version = 1 })).AssertError(HttpStatusCode.Conflict);
        Assert.That(stale.Data.GetProperty("currentVersion").GetInt64(), Is.EqualTo(2));
        Assert.That(stale.Message, Does.Contain("version 2"));
        Assert.That(await RowCountsAsync(), Is.EqualTo(before));

        var updated = (await PostAsync("/api/v1/dns/records/update", new { id, value = "192.0.2.3", version = 2 })).AssertOk().Data;
        Assert.That(updated.GetProperty("version").GetInt64(), Is.EqualTo(3));
        // Without a version the update applies to whatever version the record is at, as before.
        Assert.That((await PostAsync("/api/v1/dns/records/update", new { id, ttl = 600 })).AssertOk().Data.GetProperty("version").GetInt64(), Is.EqualTo(4));
    }

    [TestCase("\"1\"")]
    [TestCase("W/\"1\"")]
    [TestCase("1")]
    public async Task If_match_works_like_the_body_version(string ifMatch)
    {
        var (domainId, _) = await SeedZoneAsync();
        var id = (await CreateRecordAsync(domainId, "A", "im", "192.0.2.1")).AssertOk().Data.GetProperty("id").GetInt64();
        await ExecAsync("UPDATE domain_dns_records SET version = 5 WHERE id = @id", new { id });
        var before = await RowCountsAsync();
        var stale = (await SendWithIfMatchAsync("/api/v1/dns/records/update", new { id, value = "192.0.2.9" }, ifMatch)).AssertError(HttpStatusCode.Conflict);
        Assert.That(stale.Data.GetProperty("currentVersion").GetInt64(), Is.EqualTo(5));
        Assert.That(await RowCountsAsync(), Is.EqualTo(before));
        (await SendWithIfMatchAsync("/api/v1/dns/records/update", new { id, value = "192.0.2.9" }, ifMatch.Replace("1", "5"))).AssertOk();
    }

    [Test]
    public async Task A_body_version_and_if_match_that_disagree_are_400()
    {
        var (domainId, _) = await SeedZoneAsync();
        var id = (await CreateRecordAsync(domainId, "A", "both", "192.0.2.1")).AssertOk().Data.GetProperty("id").GetInt64();
        (await SendWithIfMatchAsync("/api/v1/dns/records/update", new { id, ttl = 300, version = 1 }, "\"2\"")).AssertInvalid("version", "disagree");
        (await SendWithIfMatchAsync("/api/v1/dns/records/update", new { id, ttl = 300 }, "\"abc\"")).AssertInvalid("If-Match", "version");
        (await PostAsync("/api/v1/dns/records/update", new { id, ttl = 300, version = 0 })).AssertInvalid("version", "positive");
    }

    [Test]
    public async Task Delete_with_a_stale_version_is_409_and_leaves_the_record_present()
    {
        var (domainId, _) = await SeedZoneAsync();
        var id = (await CreateRecordAsync(domainId, "A", "del", "192.0.2.1")).AssertOk().Data.GetProperty("id").GetInt64();
        (await PostAsync("/api/v1/dns/records/update", new { id, ttl = 300 })).AssertOk();
        var before = await RowCountsAsync();

        var stale = (await PostAsync("/api/v1/dns/records/delete", new { ids = new[] { id }, version = 1 })).AssertError(HttpStatusCode.Conflict);
        Assert.That(stale.Data.GetProperty("currentVersion").GetInt64(), Is.EqualTo(2));
        Assert.That(await RowCountsAsync(), Is.EqualTo(before));
        (await PostAsync("/api/v1/dns/records/delete", new { ids = new[] { id, id + 1000 }, version = 2 })).AssertInvalid("version", "one record");

        Assert.That((await SendWithIfMatchAsync("/api/v1/dns/records/delete", new { ids = new[] { id } }, "\"2\"")).AssertOk().Data.GetProperty("affected").GetInt32(), Is.EqualTo(1));
        await using var connection = await OpenAsync();
        Assert.That(await connection.QuerySingleAsync<string>("SELECT desired_state FROM domain_dns_records WHERE id = @id", new { id }), Is.EqualTo("absent"));
    }

    [Test]
    public async Task Retry_with_a_stale_version_is_409_and_the_row_stays_in_error()
    {
        var (domainId, _) = await SeedZoneAsync();
        var id = (await CreateRecordAsync(domainId, "A", "retry", "192.0.2.1")).AssertOk().Data.GetProperty("id").GetInt64();
        await ExecAsync("UPDATE domain_dns_records SET status = 'error', retry_count = 10, version = 3 WHERE id = @id", new { id });
        var before = await RowCountsAsync();
        var stale = (await PostAsync("/api/v1/dns/records/retry", new { id, version = 2 })).AssertError(HttpStatusCode.Conflict);
        Assert.That(stale.Data.GetProperty("currentVersion").GetInt64(), Is.EqualTo(3));
        Assert.That(await RowCountsAsync(), Is.EqualTo(before));
        Assert.That((await PostAsync("/api/v1/dns/records/retry", new { id, version = 3 })).AssertOk().Data.GetProperty("status").GetString(), Is.EqualTo("pending"));
    }

    [Test]
    public async Task Two_writers_with_the_same_version_one_wins_the_other_gets_409()
    {
        var (domainId, _) = await SeedZoneAsync();
        var id = (await CreateRecordAsync(domainId, "A", "race", "192.0.2.1")).AssertOk().Data.GetProperty("id").GetInt64();
        var replies = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            PostAsync("/api/v1/dns/records/update", new { id, value = $"192.0.2.{10 + i}", version = 1 })));
        Assert.That(replies.Count(r => r.Status == HttpStatusCode.OK), Is.EqualTo(1), "exactly one writer based on version 1 wins");
        Assert.That(replies.Count(r => r.Status == HttpStatusCode.Conflict), Is.EqualTo(7));
        var winner = replies.Single(r => r.Status == HttpStatusCode.OK).Data.GetProperty("value").GetString();
        Assert.That((await GetAsync($"/api/v1/dns/records/{id}")).AssertOk().Data.GetProperty("value").GetString(), Is.EqualTo(winner));
    }

    private async Task<Reply> SendWithIfMatchAsync(string path, object body, string ifMatch)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        return await Reply.ReadAsync(await Client.SendAsync(request));
    }
}
