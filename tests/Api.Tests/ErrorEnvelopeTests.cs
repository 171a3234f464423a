using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace DnsSync.Api.Tests;

/// <summary>Every error the pipeline can produce is the {code, message, data} envelope.</summary>
public sealed class ErrorEnvelopeTests : ApiTestBase
{
    [TestCase("/api/v1/nothing-here")]
    [TestCase("/nothing")]
    [TestCase("/api/v1/dns/records/abc")]
    public async Task Unknown_route_is_404_envelope(string path)
    {
        var reply = (await GetAsync(path)).AssertError(HttpStatusCode.NotFound);
        Assert.That(reply.Message, Does.Contain(path));
        (await GetAsync(path, CreateClient(token: null))).AssertError(HttpStatusCode.NotFound);
    }

    [Test]
    public async Task Wrong_method_is_405_envelope()
    {
        var reply = (await GetAsync("/api/v1/dns/records/create")).AssertError(HttpStatusCode.MethodNotAllowed);
        Assert.That(reply.Message, Does.Contain("GET"));
        (await Reply.ReadAsync(await Client.DeleteAsync("/api/v1/domains"))).AssertError(HttpStatusCode.MethodNotAllowed);
    }

    [Test]
    public async Task Non_json_content_type_is_415_envelope()
    {
        var before = await RowCountsAsync();
        var response = await Client.PostAsync("/api/v1/domains/create", new StringContent("domain=example.org", Encoding.UTF8, "application/x-www-form-urlencoded"));
        (await Reply.ReadAsync(response)).AssertError(HttpStatusCode.UnsupportedMediaType);
        Assert.That(await RowCountsAsync(), Is.EqualTo(before));
    }

    [TestCase("{\"domain\": ", null)]
    [TestCase("not json", null)]
    [TestCase("{\"domainId\": \"abc\", \"type\": \"A\"}", "domainId")]
    [TestCase("{\"domainId\": 1, \"ttl\": \"120\"}", "ttl")]
    [TestCase("{\"domainId\": 1, \"proxied\": \"yes\"}", "proxied")]
    [TestCase("{\"domainId\": 1.5}", "domainId")]
    [TestCase("[1, 2]", null)]
    public async Task Malformed_json_or_wrong_types_are_400_naming_the_field(string json, string? field)
    {
        var before = await RowCountsAsync();
        var response = await Client.PostAsync("/api/v1/dns/records/create", new StringContent(json, Encoding.UTF8, "application/json"));
        var reply = (await Reply.ReadAsync(response)).AssertError(HttpStatusCode.BadRequest);
        if (field is not null) Assert.That(reply.FieldErrors, Does.ContainKey(field), reply.Text);
        Assert.That(reply.Text, Does.Not.Contain("System."), "no type names or stack traces");
        Assert.That(await RowCountsAsync(), Is.EqualTo(before));
    }

    [Test]
    public async Task Missing_body_is_400_envelope()
    {
        var response = await Client.PostAsync("/api/v1/dns/records/delete", new StringContent("", Encoding.UTF8, "application/json"));
        var reply = (await Reply.ReadAsync(response)).AssertError(HttpStatusCode.BadRequest);
        Assert.That(reply.Message, Does.Contain("body"));
    }

    [Test]
    public async Task Unexpected_exception_is_500_envelope_without_details()
    {
        await using var factory = new ApiFactory(ConnectionString, services: s => s.AddSingleton<IStartupFilter>(new ThrowingRoute()));
        using var client = CreateClient(Token(), factory);

        var reply = (await GetAsync(ThrowingRoute.Path, client)).AssertError(HttpStatusCode.InternalServerError);

        Assert.That(reply.Message, Is.EqualTo("internal error"));
        Assert.That(reply.Text, Does.Not.Contain(ThrowingRoute.Detail));
        Assert.That(reply.Text, Does.Not.Contain(" at "));
        Assert.That(factory.Logs.AllText(), Does.Contain(ThrowingRoute.Detail), "the exception is logged for operators");
    }

    [Test]
    public async Task Database_down_is_503_envelope_and_the_password_is_not_logged()
    {
        const string password = "db-password-never-logged";
        await using var factory = new ApiFactory($"Server=127.0.0.1;Port={ClosedPort()};User ID=root;Password={password};Database=none;Connection Timeout=3");
        using var client = CreateClient(Token(), factory);

        var list = (await GetAsync("/api/v1/dns/records", client)).AssertError(HttpStatusCode.ServiceUnavailable);
        Assert.That(list.Message, Does.Contain("database unavailable"));
        (await PostAsync("/api/v1/domains/create", new { domain = "down.example.com" }, client)).AssertError(HttpStatusCode.ServiceUnavailable);
        var ready = (await GetAsync("/health/ready", client)).AssertError(HttpStatusCode.ServiceUnavailable);
        Assert.That(ready.Message, Does.Contain("database unreachable"));
        (await GetAsync("/health/live", client)).AssertOk();

        Assert.That(factory.Logs.AllText(), Does.Not.Contain(password));
        Assert.That(list.Text + ready.Text, Does.Not.Contain(password));
    }

    [Test]
    public async Task Health_is_anonymous_and_ready_reports_the_schema_version()
    {
        using var anonymous = CreateClient(token: null);
        Assert.That((await GetAsync("/health/live", anonymous)).AssertOk().Data.GetProperty("status").GetString(), Is.EqualTo("ok"));
        var ready = (await GetAsync("/health/ready", anonymous)).AssertOk().Data;
        Assert.That(ready.GetProperty("database").GetString(), Is.EqualTo("ok"));
        Assert.That(ready.GetProperty("schemaVersion").GetInt64(), Is.EqualTo(DnsSync.Shared.Data.SchemaVersion.Latest));
    }

    [Test]
    public async Task Ready_is_503_when_the_schema_is_behind()
    {
        var stale = await DnsSync.Testing.TestDatabase.CreateAsync("stale");
        try
        {
            await using (var connection = new MySqlConnector.MySqlConnection(stale))
            {
                await connection.OpenAsync();
                await using var command = new MySqlConnector.MySqlCommand($"DELETE FROM VersionInfo WHERE Version = {DnsSync.Shared.Data.SchemaVersion.Latest}", connection);
                await command.ExecuteNonQueryAsync();
            }
            await using var factory = new ApiFactory(stale);
            var reply = (await GetAsync("/health/ready", factory.CreateClient())).AssertError(HttpStatusCode.ServiceUnavailable);
            Assert.That(reply.Message, Does.Contain($"expected {DnsSync.Shared.Data.SchemaVersion.Latest}"));
            Assert.That(reply.Message, Does.Contain("run the migrations"));
        }
        finally
        {
            await DnsSync.Testing.TestDatabase.DropAsync(stale);
        }
    }

    [Test]
    public async Task Openapi_document_and_reference_page_need_no_auth()
    {
        using var anonymous = CreateClient(token: null);
        var doc = await anonymous.GetStringAsync("/openapi/v1.json");
        using var json = System.Text.Json.JsonDocument.Parse(doc);
        var paths = json.RootElement.GetProperty("paths");
        foreach (var path in new[] { "/api/v1/dns/records/create", "/api/v1/dns/records/update", "/api/v1/dns/records/delete", "/api/v1/dns/records/retry",
                     "/api/v1/dns/records", "/api/v1/dns/records/{id}", "/api/v1/domains/create", "/api/v1/domains", "/api/v1/domains/{id}",
                     "/api/v1/api-keys/create", "/api/v1/api-keys", "/api/v1/api-keys/delete", "/api/v1/dns/providers/bind", "/api/v1/dns/providers",
                     "/health/live", "/health/ready" })
            Assert.That(paths.TryGetProperty(path, out _), Is.True, path);
        Assert.That(json.RootElement.GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer").GetProperty("scheme").GetString(), Is.EqualTo("bearer"));
        Assert.That(paths.GetProperty("/api/v1/dns/records/create").GetProperty("post").TryGetProperty("security", out _), Is.True);
        Assert.That(paths.GetProperty("/health/ready").GetProperty("get").TryGetProperty("security", out _), Is.False);

        var page = await anonymous.GetAsync("/scalar/v1");
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(page.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/html"));
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// A route the product does not have, added after the app's own pipeline: a request no endpoint matched reaches
    /// it and it throws, so the app's exception handling is exercised without a test hook in the product.
    /// </summary>
    private sealed class ThrowingRoute : IStartupFilter
    {
        public const string Path = "/test-only/boom";
        public const string Detail = "boom-detail-that-must-not-reach-the-client";

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            next(app);
            app.Use((HttpContext context, RequestDelegate following) =>
                context.Request.Path == Path ? throw new InvalidOperationException(Detail) : following(context));
        };
    }
}
