using System.Text.Json;

namespace DnsSync.Worker.Cloudflare;

/// <summary>
/// A refusal by Cloudflare. <see cref="Code"/> is the most specific code: a 9xxx inside a 1004's error_chain
/// wins over the 1004; <see cref="Codes"/> holds every code seen at top level and in chains.
/// </summary>
internal sealed record CloudflareError(int HttpStatus, int? Code, string Message, IReadOnlyList<int> Codes)
{
    /// <summary>
    /// The record does not exist: 81044, or a bare 404 from Cloudflare without any code. A 404 with another code
    /// (7000 "No route for that URI" from a wrong base URL, say) is not proof that a record is gone: treating it
    /// so would hard-delete rows whose records still exist.
    /// </summary>
    public bool IsNotFound => Codes.Contains(81044) || (HttpStatus == 404 && Codes.Count == 0 && IsEnvelope);

    /// <summary>True when the body was Cloudflare's JSON envelope (not a proxy's error page).</summary>
    public bool IsEnvelope { get; init; }

    /// <summary>81057/81058: the record is already there (ours, from an attempt whose answer was lost).</summary>
    public bool IsAlreadyExists => Codes.Contains(81057) || Codes.Contains(81058);

    /// <summary>A 4xx: Cloudflare refused the request whole and applied nothing (a 2xx without a usable body may have applied).</summary>
    public bool IsRefusal => HttpStatus is >= 400 and < 500;

    /// <summary>81053/81054: a different record at the name excludes this one (CNAME rules).</summary>
    public bool IsNameConflict => Codes.Contains(81053) || Codes.Contains(81054);

    public override string ToString() => $"cloudflare {HttpStatus}{(Code is { } c ? $" {c}" : "")}: {Message}";

    public static CloudflareError Parse(int httpStatus, string? body)
    {
        if (!string.IsNullOrWhiteSpace(body))
        {
            try
            {
                if (JsonSerializer.Deserialize<CloudflareEnvelope<JsonElement>>(body) is { } envelope)
                    return From(httpStatus, envelope.Errors);
            }
            catch (JsonException)
            {
                // Not Cloudflare's envelope (a proxy's HTML page, say): the HTTP status is all we know.
            }
        }
        return From(httpStatus, null) with { IsEnvelope = false };
    }

    public static CloudflareError From(int httpStatus, IEnumerable<CloudflareMessage>? errors)
    {
        var codes = new List<int>();
        (int? Code, string? Message) top = (null, null), inner = (null, null);
        foreach (var error in errors ?? [])
        {
            if (error.NumericCode is { } code) codes.Add(code);
            if (top.Message is null) top = (error.NumericCode, error.Message);
            foreach (var link in error.ErrorChain ?? [])
            {
                if (link.NumericCode is { } chained) codes.Add(chained);
                if (inner.Message is null) inner = (link.NumericCode, link.Message);
            }
        }
        var chosen = inner.Message is not null ? inner : top;
        var message = chosen.Message ?? $"HTTP {httpStatus} without a Cloudflare error body";
        return new CloudflareError(httpStatus, chosen.Code, message.ReplaceLineEndings(" "), codes) { IsEnvelope = true };
    }
}

/// <summary>Cloudflare answered with an error (other than 429).</summary>
internal sealed class CloudflareException(CloudflareError error) : Exception(error.ToString())
{
    public CloudflareError Error { get; } = error;
}

/// <summary>Cloudflare answered 429, or our own per-token budget or a Retry-After block refused to send.</summary>
internal sealed class CloudflareRateLimitedException : Exception
{
    public const string ProviderReason = "rate limited by cloudflare (429 971)";

    /// <summary>Cloudflare answered 429.</summary>
    public CloudflareRateLimitedException(TimeSpan retryAfter)
        : this(retryAfter, ProviderReason, fromProvider: true)
    {
    }

    /// <summary>Not sent: <paramref name="reason"/> (a spent budget, or an earlier 429's Retry-After).</summary>
    public CloudflareRateLimitedException(TimeSpan retryAfter, string reason)
        : this(retryAfter, $"not sent: {reason}", fromProvider: false)
    {
    }

    private CloudflareRateLimitedException(TimeSpan retryAfter, string reason, bool fromProvider)
        : base($"{reason}: retry after {Math.Ceiling(retryAfter.TotalSeconds)} s")
    {
        RetryAfter = retryAfter;
        FromProvider = fromProvider;
    }

    public TimeSpan RetryAfter { get; }
    public bool FromProvider { get; }
}

/// <summary>
/// The request budget could not be reserved (the database did not answer), so the request was not sent: never sent
/// unbudgeted. An <see cref="HttpRequestException"/> so the client treats it as a request that failed before any answer.
/// </summary>
internal sealed class RequestBudgetUnavailableException(string identity, Exception inner)
    : HttpRequestException($"not sent: the request budget of {identity} could not be reserved in the database ({inner.Message})", inner);

/// <summary>No answer: timeout, refused or dropped connection. The request may or may not have been applied.</summary>
internal sealed class CloudflareTransportException(string message, Exception inner) : Exception(message, inner);
