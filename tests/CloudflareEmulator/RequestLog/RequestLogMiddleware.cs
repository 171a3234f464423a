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
        var (name, comment, posts) = await ReadSentRecordsAsync(http.Request);
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
                name,
                comment,
                WithCreatedIds(posts, RequestContext.GetCreatedByPosts(http))));
        }
    }

    private static List<SentRecord>? WithCreatedIds(List<SentRecord>? posts, IReadOnlyList<string>? created) =>
        posts is not null && created is not null && created.Count == posts.Count
            ? posts.Select((p, i) => p with { CreatedId = created[i] }).ToList()
            : posts;

    /// <summary>Room for a batch of 3,500 changes (a paid plan's limit).</summary>
    private const int MaxBodyPeek = 4 * 1024 * 1024;

    /// <summary>
    /// The body's top-level "name" and "comment" strings, and those of each object in its "posts" array (a batch's
    /// creates); the body is rewound for the handler.
    /// </summary>
    private static async Task<(string? Name, string? Comment, List<SentRecord>? Posts)> ReadSentRecordsAsync(HttpRequest request)
    {
        if (request.Method is not ("POST" or "PUT" or "PATCH") || request.ContentLength is 0 or > MaxBodyPeek) return (null, null, null);
        request.EnableBuffering();
        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return (null, null, null);
            var posts = root.TryGetProperty("posts", out var array) && array.ValueKind == JsonValueKind.Array
                ? array.EnumerateArray()
                    .Select(p => p.ValueKind == JsonValueKind.Object ? new SentRecord(StringProperty(p, "name"), StringProperty(p, "comment")) : new SentRecord(null, null))
                    .ToList()
                : null;
            return (StringProperty(root, "name"), StringProperty(root, "comment"), posts);
        }
        catch (Exception ex) when (ex is JsonException or IOException or OperationCanceledException)
        {
            return (null, null, null);
        }
        finally
        {
            request.Body.Position = 0;
        }
    }

    private static string? StringProperty(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
