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

/// <summary>Records every Cloudflare-surface request with the status the client actually got.</summary>
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
                RequestContext.FindCredential(http)?.Identity,
                RequestContext.TouchedRecordIds(http).Distinct().ToList(),
                RequestContext.GetFault(http),
                (options.TimeProvider.GetUtcNow() - started).TotalMilliseconds));
        }
    }
}
