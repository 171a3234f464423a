using System.Net;
using System.Text.Json;

namespace DnsSync.Api.Tests;

/// <summary>POST /domains/import-zones records a request for the worker (202) that GET /domains/import-zones/{id} reports.</summary>
public sealed class ZoneImportTests : ApiTestBase
{
    [Test]
    public async Task Import_request_is_accepted_for_the_worker_and_readable_by_id()
    {
        var keyId = await CreateApiKeyAsync();

        var accepted = await PostAsync("/api/v1/domains/import-zones", new { apiKeyId = keyId, dryRun = true });

        Assert.That(accepted.Status, Is.EqualTo(HttpStatusCode.Accepted), accepted.Text);
        Assert.That(accepted.Code, Is.Zero);
        var data = accepted.Data;
        var id = data.GetProperty("id").GetInt64();
        Assert.That(accepted.Response.Headers.Location?.ToString(), Is.EqualTo($"/api/v1/domains/import-zones/{id}"));
        Assert.Multiple(() =>
        {
            Assert.That(data.GetProperty("status").GetString(), Is.EqualTo("requested"));
            Assert.That(data.GetProperty("dryRun").GetBoolean(), Is.True);
            Assert.That(data.GetProperty("apiKeyId").GetInt64(), Is.EqualTo(keyId));
            Assert.That(data.GetProperty("requestedBy").GetString(), Is.EqualTo("tester"));
            Assert.That(data.GetProperty("zones").ValueKind, Is.EqualTo(JsonValueKind.Null));
        });

        var got = (await GetAsync($"/api/v1/domains/import-zones/{id}")).AssertOk().Data;
        Assert.That(got.GetProperty("id").GetInt64(), Is.EqualTo(id));
        var again = await PostAsync("/api/v1/domains/import-zones", new { apiKeyId = keyId, dryRun = true });
        Assert.That(again.Data.GetProperty("id").GetInt64(), Is.EqualTo(id), "one queued request per key and kind");
        (await GetAsync("/api/v1/domains/import-zones/987654")).AssertError(HttpStatusCode.NotFound);
    }

    [Test]
    public async Task Bad_import_requests_are_400_naming_the_field_and_write_nothing()
    {
        var inactive = await CreateApiKeyAsync(status: "inactive");
        var before = await RowCountsAsync();

        (await PostAsync("/api/v1/domains/import-zones", new { dryRun = false })).AssertInvalid("apiKeyId", "required");
        (await PostAsync("/api/v1/domains/import-zones", new { apiKeyId = 0, dryRun = false })).AssertInvalid("apiKeyId", "positive integer");
        (await PostAsync("/api/v1/domains/import-zones", new { apiKeyId = inactive })).AssertInvalid("dryRun", "required");
        (await PostAsync("/api/v1/domains/import-zones", new { apiKeyId = 987_654, dryRun = true })).AssertInvalid("apiKeyId", "does not exist");
        (await PostAsync("/api/v1/domains/import-zones", new { apiKeyId = inactive, dryRun = true })).AssertInvalid("apiKeyId", "inactive");
        (await PostAsync("/api/v1/domains/import-zones", new { apiKeyId = inactive, dryRun = true, zones = "all" })).AssertInvalid("zones", "is not a field");

        Assert.That(await RowCountsAsync(), Is.EqualTo(before));
    }
}
