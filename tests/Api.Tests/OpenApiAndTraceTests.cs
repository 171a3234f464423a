using System.Net;
using System.Text.Json;

namespace DnsSync.Api.Tests;

/// <summary>The OpenAPI document declares typed query parameters, required body fields and every status; errors carry a trace id.</summary>
public sealed class OpenApiAndTraceTests : ApiTestBase
{
    private JsonElement _paths;
    private JsonElement _schemas;

    [OneTimeSetUp]
    public async Task ReadDocumentAsync()
    {
        using var anonymous = CreateClient(token: null);
        var document = JsonDocument.Parse(await anonymous.GetStringAsync("/openapi/v1.json")).RootElement.Clone();
        _paths = document.GetProperty("paths");
        _schemas = document.GetProperty("components").GetProperty("schemas");
    }

    private static IEnumerable<TestCaseData> Statuses()
    {
        TestCaseData Case(string method, string path, params int[] statuses) => new TestCaseData(method, path, statuses).SetName($"{method} {path} declares {string.Join(", ", statuses)}");
        yield return Case("post", "/api/v1/dns/records/create", 200, 400, 401, 403, 409, 413, 429, 503);
        yield return Case("post", "/api/v1/dns/records/bulk-create", 200, 400, 401, 403, 409, 413, 429, 503);
        yield return Case("post", "/api/v1/dns/records/update", 200, 400, 401, 403, 404, 409, 413, 429, 503);
        yield return Case("post", "/api/v1/dns/records/delete", 200, 400, 401, 403, 409, 413, 429, 503);
        yield return Case("post", "/api/v1/dns/records/retry", 200, 400, 401, 403, 404, 409, 413, 429, 503);
        yield return Case("get", "/api/v1/dns/records", 200, 400, 401, 403, 429, 503);
        yield return Case("get", "/api/v1/dns/records/{id}", 200, 401, 403, 404, 429, 503);
        yield return Case("post", "/api/v1/domains/create", 200, 400, 401, 403, 409, 413, 429, 503);
        yield return Case("get", "/api/v1/domains", 200, 400, 401, 403, 429, 503);
        yield return Case("get", "/api/v1/domains/{id}", 200, 401, 403, 404, 429, 503);
        yield return Case("post", "/api/v1/api-keys/create", 200, 400, 401, 403, 413, 429, 503);
        yield return Case("get", "/api/v1/api-keys", 200, 400, 401, 403, 429, 503);
        yield return Case("post", "/api/v1/api-keys/delete", 200, 400, 401, 403, 409, 413, 429, 503);
        yield return Case("post", "/api/v1/dns/providers/bind", 200, 400, 401, 403, 413, 429, 503);
        yield return Case("get", "/api/v1/dns/providers", 200, 400, 401, 403, 429, 503);
        yield return Case("get", "/health/ready", 200, 503);
    }

    [TestCaseSource(nameof(Statuses))]
    public void Every_status_a_route_answers_is_declared(string method, string path, int[] statuses)
    {
        var responses = _paths.GetProperty(path).GetProperty(method).GetProperty("responses");
        Assert.That(responses.EnumerateObject().Select(r => int.Parse(r.Name)), Is.SupersetOf(statuses));
    }

    [Test]
    public void Query_parameters_are_typed()
    {
        var parameters = _paths.GetProperty("/api/v1/dns/records").GetProperty("get").GetProperty("parameters").EnumerateArray()
            .ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("schema"));
        Assert.That(parameters["domainId"].GetProperty("type").GetString(), Is.EqualTo("integer"));
        Assert.That(parameters["ownerId"].GetProperty("type").GetString(), Is.EqualTo("integer"));
        Assert.That(parameters["page"].GetProperty("type").GetString(), Is.EqualTo("integer"));
        Assert.That(parameters["pageSize"].GetProperty("maximum").GetRawText(), Is.EqualTo("100"));
        Assert.That(parameters["status"].GetProperty("enum").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { "pending", "running", "active", "error" }));
        Assert.That(parameters["type"].GetProperty("enum").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { "A", "AAAA", "CNAME", "TXT" }));
        Assert.That(parameters["after"].GetProperty("type").GetString(), Is.EqualTo("string"));
        Assert.That(parameters.Keys, Is.SupersetOf(new[] { "desiredState", "ownerType", "name" }));
    }

    [TestCase("CreateRecordRequest", new[] { "domainId", "type", "name", "value", "ownerType", "ownerId" })]
    [TestCase("UpdateRecordRequest", new[] { "id" })]
    [TestCase("BulkCreateRecordsRequest", new[] { "records" })]
    [TestCase("CreateDomainRequest", new[] { "domain" })]
    [TestCase("CreateApiKeyRequest", new[] { "name", "provider", "apiToken" })]
    [TestCase("BindProviderRequest", new[] { "domainId", "provider", "providerZoneId", "apiKeyId" })]
    public void Required_body_fields_are_declared(string schema, string[] required) =>
        Assert.That(_schemas.GetProperty(schema).GetProperty("required").EnumerateArray().Select(e => e.GetString()), Is.EquivalentTo(required));

    [Test]
    public async Task Error_envelopes_and_their_log_lines_carry_the_same_trace_id()
    {
        var reply = (await GetAsync("/api/v1/dns/records/987654")).AssertError(HttpStatusCode.NotFound);
        var traceId = reply.Body.GetProperty("traceId").GetString();
        Assert.That(traceId, Does.Match("^[0-9a-f]{32}$"));
        Assert.That(Factory.Logs.AllText(), Does.Contain("/api/v1/dns/records/987654\" responded 404").And.Contain($"(trace {traceId})"));

        // A caller's traceparent is continued, so its own logs and ours meet.
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/dns/records?pageSize=0");
        request.Headers.TryAddWithoutValidation("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        var invalid = (await Reply.ReadAsync(await Client.SendAsync(request))).AssertError(HttpStatusCode.BadRequest);
        Assert.That(invalid.Body.GetProperty("traceId").GetString(), Is.EqualTo("0af7651916cd43dd8448eb211c80319c"));

        var unauthorized = (await GetAsync("/api/v1/domains", CreateClient(token: null))).AssertError(HttpStatusCode.Unauthorized);
        Assert.That(unauthorized.Body.GetProperty("traceId").GetString(), Does.Match("^[0-9a-f]{32}$"));
        Assert.That((await GetAsync("/api/v1/domains")).AssertOk().Body.TryGetProperty("traceId", out _), Is.False, "success envelopes stay as they were");
    }
}
