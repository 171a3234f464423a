using System.Globalization;
using DnsSync.CloudflareEmulator.Hosting;

namespace DnsSync.CloudflareEmulator.Faults;

/// <summary>Injects the configured faults into the Cloudflare surface (never into the control routes).</summary>
internal sealed class FaultMiddleware(RequestDelegate next, FaultInjector faults, IHostApplicationLifetime lifetime)
{
    public async Task InvokeAsync(HttpContext http)
    {
        var rule = RequestContext.IsControl(http) ? null : faults.Match(http.Request.Method, http.Request.Path.Value ?? "/");
        if (rule is null)
        {
            await next(http);
            return;
        }

        RequestContext.SetFault(http, rule.Kind);
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, lifetime.ApplicationStopping);
        switch (rule.Kind)
        {
            case FaultKind.Latency:
                if (await DelayAsync(rule.LatencyMs, abort.Token)) await next(http);
                break;

            case FaultKind.ServerError:
                await Cf.WriteFailAsync(http, new CfError(rule.StatusCode, rule.StatusCode, "Emulated server error"));
                break;

            case FaultKind.RateLimit:
                http.Response.Headers.RetryAfter = rule.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                await Cf.WriteFailAsync(http, Cf.RateLimited());
                break;

            case FaultKind.Hang:
                // Nothing is applied; a client whose timeout is shorter than HangMs sees a timeout.
                if (await DelayAsync(rule.HangMs, abort.Token))
                {
                    await Cf.WriteFailAsync(http, new CfError(504, 504, "Emulated gateway timeout"));
                }

                break;

            case FaultKind.ApplyThenFail500:
            case FaultKind.ApplyThenDrop:
            case FaultKind.ApplyThenTruncated200:
                await ApplyThenFailAsync(http, rule.Kind);
                break;

            case FaultKind.ApplyThenHang:
                await ApplyThenHangAsync(http, rule.HangMs, abort.Token);
                break;
        }
    }

    /// <summary>Runs the real handler into a buffer and holds its reply: the change is committed before the client can learn it.</summary>
    private async Task ApplyThenHangAsync(HttpContext http, int hangMs, CancellationToken cancellationToken)
    {
        using var buffer = await ApplyIntoBufferAsync(http);
        if (!await DelayAsync(hangMs, cancellationToken)) return;
        buffer.Position = 0;
        await buffer.CopyToAsync(http.Response.Body, cancellationToken);
    }

    /// <summary>Runs the real handler into a buffer, then throws its reply away: the change is committed, the client never learns it.</summary>
    private async Task ApplyThenFailAsync(HttpContext http, FaultKind kind)
    {
        using var buffer = await ApplyIntoBufferAsync(http);
        if (kind == FaultKind.ApplyThenTruncated200)
        {
            var body = buffer.ToArray();
            http.Response.Clear();
            http.Response.StatusCode = 200;
            http.Response.ContentType = "application/json";
            await http.Response.Body.WriteAsync(body.AsMemory(0, body.Length / 2));
            return;
        }

        if (kind == FaultKind.ApplyThenDrop)
        {
            RequestContext.MarkDropped(http);
            http.Abort();
            return;
        }

        http.Response.Clear();
        await Cf.WriteFailAsync(http, new CfError(500, 500, "Emulated server error after the change was applied"));
    }

    /// <summary>Runs the real handler (the change is committed) with its reply written to a buffer instead of the client.</summary>
    private async Task<MemoryStream> ApplyIntoBufferAsync(HttpContext http)
    {
        var original = http.Response.Body;
        var buffer = new MemoryStream();
        http.Response.Body = buffer;
        try
        {
            await next(http);
        }
        finally
        {
            http.Response.Body = original;
        }
        return buffer;
    }

    private static async Task<bool> DelayAsync(int milliseconds, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(milliseconds, cancellationToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
