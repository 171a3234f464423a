using System.Text.Json.Serialization;

namespace DnsSync.CloudflareEmulator;

[JsonConverter(typeof(JsonStringEnumConverter<FaultKind>))]
public enum FaultKind
{
    /// <summary>Wait <see cref="FaultRule.LatencyMs"/>, then handle the request normally.</summary>
    Latency,
    /// <summary>Answer <see cref="FaultRule.StatusCode"/> (5xx) without applying anything.</summary>
    ServerError,
    /// <summary>Answer 429 / code 971 with <c>Retry-After: RetryAfterSeconds</c>, without applying anything.</summary>
    RateLimit,
    /// <summary>Hold the request <see cref="FaultRule.HangMs"/> (or until the client aborts), then 504; nothing applied.</summary>
    Hang,
    /// <summary>Apply the request, then answer 500 instead of the real reply.</summary>
    ApplyThenFail500,
    /// <summary>Apply the request, then abort the connection without any reply.</summary>
    ApplyThenDrop,
    /// <summary>Apply the request, then answer 200 with a truncated body (a proxy cut it short, say).</summary>
    ApplyThenTruncated200,
    /// <summary>Apply the request, then hold the real reply <see cref="FaultRule.HangMs"/> (or until the client aborts).</summary>
    ApplyThenHang,
}

/// <summary>
/// A fault to inject. Matches requests whose method equals <see cref="Method"/> (null or "*" = any) and whose
/// path (without a <c>/client/v4</c> prefix) matches the regular expression <see cref="PathPattern"/>.
/// With <see cref="Count"/> it applies to the next N matching requests and then expires; otherwise with
/// <see cref="Probability"/> (0..1) per matching request; with neither, to every matching request.
/// </summary>
public sealed record FaultRule
{
    public string? Method { get; init; }
    public string PathPattern { get; init; } = ".*";
    public FaultKind Kind { get; init; }
    public double? Probability { get; init; }
    public int? Count { get; init; }
    public int LatencyMs { get; init; } = 1000;
    public int StatusCode { get; init; } = 500;
    public int RetryAfterSeconds { get; init; } = 1;
    public int HangMs { get; init; } = 30_000;
}
