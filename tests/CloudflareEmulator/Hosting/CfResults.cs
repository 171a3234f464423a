using System.Text.Json;
using System.Text.Json.Serialization;

namespace DnsSync.CloudflareEmulator.Hosting;

internal sealed record CfMessage(
    [property: JsonPropertyName("code")] int Code,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("error_chain")]
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    IReadOnlyList<CfMessage>? ErrorChain = null);

/// <summary>A Cloudflare failure: HTTP status plus the <c>errors</c> array.</summary>
internal sealed record CfError(int Status, IReadOnlyList<CfMessage> Errors)
{
    public CfError(int status, int code, string message, params CfMessage[] chain)
        : this(status, [new CfMessage(code, message, chain.Length == 0 ? null : chain)])
    {
    }
}

internal sealed record ResultInfo(
    [property: JsonPropertyName("page")] int Page,
    [property: JsonPropertyName("per_page")] int PerPage,
    [property: JsonPropertyName("count")] int Count,
    [property: JsonPropertyName("total_count")] int TotalCount,
    [property: JsonPropertyName("total_pages")] int TotalPages);

/// <summary>The v4 envelope and the error catalogue the emulator uses.</summary>
internal static class Cf
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public static IResult Ok(object? result, ResultInfo? info = null, IReadOnlyList<CfMessage>? messages = null)
    {
        var body = new Dictionary<string, object?>
        {
            ["success"] = true,
            ["errors"] = Array.Empty<object>(),
            ["messages"] = messages ?? [],
            ["result"] = result,
        };
        if (info is not null) body["result_info"] = info;
        return Results.Json(body, Json);
    }

    public static IResult Fail(CfError error) =>
        Results.Json(new Dictionary<string, object?>
        {
            ["success"] = false,
            ["errors"] = error.Errors,
            ["messages"] = Array.Empty<object>(),
            ["result"] = null,
        }, Json, statusCode: error.Status);

    public static Task WriteFailAsync(HttpContext context, CfError error) =>
        Fail(error).ExecuteAsync(context);

    // Codes and messages follow shared/docs/CLOUDFLARE_API.md; the ones marked "emulator's choice" are not
    // documented by Cloudflare and are kept stable here so clients can match on them.
    public static CfError MissingOrMalformedAuthorization() =>
        new(400, 6003, "Invalid request headers", new CfMessage(6111, "Invalid format for Authorization header"));

    public static CfError MalformedAuthKey() =>
        new(400, 6003, "Invalid request headers", new CfMessage(6103, "Invalid format for X-Auth-Key header"));

    public static CfError MalformedAuthEmail() =>
        new(400, 6003, "Invalid request headers", new CfMessage(6102, "Invalid format for X-Auth-Email header"));

    public static CfError AuthenticationError() => new(403, 10000, "Authentication error");

    public static CfError InvalidApiToken() => new(401, 1000, "Invalid API Token");

    public static CfError RateLimited() => new(429, 971, "Please wait and consider throttling your request speed");

    public static CfError CouldNotRoute(string path) =>
        new(400, [
            new CfMessage(7003, $"Could not route to {path}, perhaps your object identifier is invalid?"),
            new CfMessage(7000, "No route for that URI"),
        ]);

    public static CfError NoRoute() => new(404, 7000, "No route for that URI");

    public static CfError MalformedJson() => new(400, 6007, "Malformed JSON in request body");

    public static CfError RecordNotFound() => new(404, 81044, "Record does not exist.");

    public static CfError IdenticalRecord() => new(400, 81058, "An identical record already exists.");

    public static CfError CnameConflictsWithAddress() =>
        new(400, 81053, "An A, AAAA, or CNAME record with that host already exists.");

    public static CfError AddressConflictsWithCname() =>
        new(400, 81054, "A CNAME record with that host already exists.");

    // Emulator's choice (Cloudflare documents the quota, not the code).
    public static CfError QuotaExceeded() => new(400, 81045, "Record quota exceeded.");

    // Emulator's choice: Cloudflare documents the limit, not the code.
    public static CfError BatchTooLarge(int limit) =>
        new(400, 81063, $"Batch contains too many changes; the limit is {limit}.");

    public static CfError DnsValidation(string detail) => new(400, 1004, $"DNS Validation Error: {detail}");

    public static CfError InvalidName() => new(400, 9000, "DNS name is invalid.");

    public static CfError NotProxiable() => new(400, 9004, "This kind of record cannot be proxied");

    public static CfError InvalidTtl() =>
        new(400, 9021, "TTL must be between 60 and 86400 seconds, or 1 for Automatic.");

    public static CfError TooManyTags(int count, int quota) =>
        new(400, 9300, $"DNS record has {count} tags, exceeding the quota of {quota}.");

    public static CfError InvalidAddress(string type, bool wrap)
    {
        var inner = type == "A"
            ? new CfMessage(9005, "Content for A record must be a valid IPv4 address.")
            : new CfMessage(9006, "Content for AAAA record must be a valid IPv6 address.");
        return wrap
            ? new CfError(400, 1004, "DNS Validation Error", inner)
            : new CfError(400, [inner]);
    }

    public static CfError InvalidCnameContent() => new(400, 9007, "Content for CNAME record is invalid.");
}
