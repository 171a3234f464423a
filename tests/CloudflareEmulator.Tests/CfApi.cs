using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace DnsSync.CloudflareEmulator.Tests;

/// <summary>A Cloudflare reply: status, parsed envelope and headers.</summary>
internal sealed record CfResponse(HttpStatusCode Status, JsonElement Body, HttpResponseHeaders Headers)
{
    public bool Success => Body.GetProperty("success").GetBoolean();

    public JsonElement Result => Body.GetProperty("result");

    public JsonElement ResultInfo => Body.GetProperty("result_info");

    /// <summary>Every error code, top level and inside error_chain, as a client searching for a 9xxx code sees them.</summary>
    public IReadOnlyList<int> Codes =>
        Body.GetProperty("errors").EnumerateArray()
            .SelectMany(e => new[] { e }.Concat(e.TryGetProperty("error_chain", out var chain) ? chain.EnumerateArray() : []))
            .Select(e => e.GetProperty("code").GetInt32())
            .ToList();

    public int FirstCode => Body.GetProperty("errors")[0].GetProperty("code").GetInt32();

    public string Id => Result.GetProperty("id").GetString()!;

    public IReadOnlyList<JsonElement> Items => Result.EnumerateArray().ToList();
}

/// <summary>A minimal Cloudflare client over the real HTTP surface of the emulator.</summary>
internal sealed class CfApi(HttpClient http, string? token)
{
    public HttpClient Http => http;

    public static string Records(string zoneId) => $"zones/{zoneId}/dns_records";

    public static string Record(string zoneId, string recordId) => $"zones/{zoneId}/dns_records/{recordId}";

    public Task<CfResponse> GetAsync(string path, Action<HttpRequestHeaders>? auth = null) =>
        SendAsync(HttpMethod.Get, path, null, auth);

    public Task<CfResponse> CreateAsync(string zoneId, object body) => SendAsync(HttpMethod.Post, Records(zoneId), body);

    public async Task<string> CreateIdAsync(string zoneId, object body)
    {
        var response = await CreateAsync(zoneId, body);
        Assert.That(response.Success, Is.True, () => response.Body.ToString());
        return response.Id;
    }

    public async Task<CfResponse> SendAsync(HttpMethod method, string path, object? body, Action<HttpRequestHeaders>? auth = null, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = body is string raw ? new StringContent(raw) : JsonContent.Create(body);
        if (auth is not null) auth(request.Headers);
        else if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);

        using var response = await http.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        var json = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        return new CfResponse(response.StatusCode, json, response.Headers);
    }
}
