using System.Text.Json;
using DnsSync.CloudflareEmulator.Auth;
using DnsSync.CloudflareEmulator.Hosting;

namespace DnsSync.CloudflareEmulator.RequestLog;

internal sealed class RequestLogStore
{
    private readonly Lock gate = new();
    private readonly List<RequestLogEntry> entries = [];

    public void Add(RequestLogEntry entry)
    {
        lock (gate) entries.Add(entry);
    }

    public IReadOnlyList<RequestLogEntry> Snapshot()
    {
        lock (gate) return entries.ToList();
    }

    public void Clear()
    {
        lock (gate) entries.Clear();
    }
}

/// <summary>
/// Records every Cloudflare-surface request with the status the client actually got. It runs before the fault
/// injector and the auth filter, so what it reads itself (the credential from the headers, the body's name and
/// comment) is logged for faulted and refused requests too.
/// </summary>
internal sealed class RequestLogMiddleware(RequestDelegate next, RequestLogStore log, EmulatorOptions options)
{
    public async Task InvokeAsync(HttpContext http)
    {
        if (RequestContext.IsControl(http))
        {
            await next(http);
            return;
        }

        var started = options.TimeProvider.GetUtcNow();
        var method = http.Request.Method;
        var path = (http.Request.PathBase + http.Request.Path).Value ?? "/";
        var query = http.Request.QueryString.Value ?? "";
        var identity = CloudflareAuthFilter.Authenticate(http.Request.Headers).Credential?.Identity;
        var sent = await ReadSentBodyAsync(http.Request);
        var failed = false;
        try
        {
            await next(http);
        }
        catch
        {
            failed = true;
            throw;
        }
        finally
        {
            var status = RequestContext.WasDropped(http) || http.RequestAborted.IsCancellationRequested
                ? 0
                : failed ? 500 : http.Response.StatusCode;
            log.Add(new RequestLogEntry(
                method,
                path,
                query,
                status,
                started,
                identity,
                RequestContext.TouchedRecordIds(http).Distinct().ToList(),
                RequestContext.GetFault(http),
                (options.TimeProvider.GetUtcNow() - started).TotalMilliseconds,
                sent.Name,
                sent.Comment,
                WithCreatedIds(sent.Posts, RequestContext.GetCreatedByPosts(http)),
                sent.Patches,
                sent.Deletes));
        }
    }

    private static List<SentRecord>? WithCreatedIds(List<SentRecord>? posts, IReadOnlyList<string>? created) =>
        posts is not null && created is not null && created.Count == posts.Count
            ? posts.Select((p, i) => p with { CreatedId = created[i] }).ToList()
            : posts;

    /// <summary>Room for a batch of 3,500 changes (a paid plan's limit).</summary>
    private const int MaxBodyPeek = 4 * 1024 * 1024;

    /// <summary>What a request body sends, as far as the log records it.</summary>
    private sealed record SentBody(string? Name, string? Comment, List<SentRecord>? Posts, List<string?>? Patches, List<string?>? Deletes)
    {
        public static readonly SentBody None = new(null, null, null, null, null);
    }

    /// <summary>
    /// The body's top-level "name" and "comment" strings, the name and comment of each object in its "posts" array
    /// and the "id" of each in its "patches" and "deletes" arrays (a batch); the body is rewound for the handler.
    /// </summary>
    private static async Task<SentBody> ReadSentBodyAsync(HttpRequest request)
    {
        if (request.Method is not ("POST" or "PUT" or "PATCH") || request.ContentLength is 0 or > MaxBodyPeek) return SentBody.None;
        request.EnableBuffering();
        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return SentBody.None;
            return new SentBody(
                StringProperty(root, "name"),
                StringProperty(root, "comment"),
                Objects(root, "posts")?.Select(p => new SentRecord(StringProperty(p, "name"), StringProperty(p, "comment"))).ToList(),
                Objects(root, "patches")?.Select(p => StringProperty(p, "id")).ToList(),
                Objects(root, "deletes")?.Select(p => StringProperty(p, "id")).ToList());
        }
        catch (Exception ex) when (ex is JsonException or IOException or OperationCanceledException)
        {
            return SentBody.None;
        }
        finally
        {
            request.Body.Position = 0;
        }
    }

    /// <summary>The elements of an array property (non-objects read as empty objects), or null when there is no array.</summary>
    private static IEnumerable<JsonElement>? Objects(JsonElement element, string name) =>
        element.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array
            ? array.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Object ? e : default).ToList()
            : null;

    private static string? StringProperty(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
