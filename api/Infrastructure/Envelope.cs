using System.Diagnostics;
using System.Text.Json.Serialization;

namespace DnsSync.Api.Infrastructure;

/// <summary>
/// Every response body: <c>{code, message, data}</c>; code 0 on success, else the HTTP status. Errors also carry
/// <c>traceId</c>, the id their log lines carry (W3C trace id; a caller's <c>traceparent</c> is continued).
/// </summary>
public sealed record Envelope<T>(int Code, string Message, T? Data)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TraceId { get; init; }
}

/// <summary>What an error carries beyond its message: the invalid fields, the record it collides with, and so on.</summary>
public sealed record ErrorData(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<FieldError>? Errors = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? ConflictingId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? CurrentVersion = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? RequiredScope = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? RetryAfterSeconds = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? MaxBodyBytes = null);

/// <summary>One invalid field of a request, named as the client spelled it (camelCase; <c>records[3].value</c> in a bulk request).</summary>
public sealed record FieldError(string Field, string Message);

/// <summary>
/// A page of a list: <c>{list, total, page, pageSize}</c>, plus <c>nextCursor</c> (pass it as <c>after</c> for the next
/// page; null on the last) and <c>totalExact</c> where a list can estimate its total.
/// </summary>
public sealed record PagedList<T>(IReadOnlyList<T> List, long Total, int Page, int PageSize)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? NextCursor { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? TotalExact { get; init; }
}

/// <summary>The answer of bulk operations: how many rows changed.</summary>
public sealed record AffectedCount(int Affected);

/// <summary>Typed results wrapped in the envelope, so OpenAPI and tests see every outcome.</summary>
internal static class ApiResults
{
    public static Ok<Envelope<T>> Ok<T>(T data) => TypedResults.Ok(new Envelope<T>(0, "success", data));

    public static BadRequest<Envelope<ErrorData>> Invalid(IReadOnlyList<FieldError> errors) =>
        TypedResults.BadRequest(Error(400, ValidationMessage(errors), new ErrorData(errors)));

    public static BadRequest<Envelope<ErrorData>> Invalid(string field, string message) => Invalid([new FieldError(field, message)]);

    public static NotFound<Envelope<ErrorData>> NotFound(string message) => TypedResults.NotFound(Error(404, message, null));

    public static Conflict<Envelope<ErrorData>> Conflict(string message, long? conflictingId = null) =>
        TypedResults.Conflict(Error(409, message, conflictingId is null ? null : new ErrorData(ConflictingId: conflictingId)));

    public static Conflict<Envelope<ErrorData>> Conflict(string message, ErrorData data) => TypedResults.Conflict(Error(409, message, data));

    /// <summary>Items of a request that collide with present records or with each other, listed like validation errors.</summary>
    public static Conflict<Envelope<ErrorData>> Conflicts(IReadOnlyList<FieldError> errors) =>
        Conflict("conflicting records: " + string.Join("; ", errors.Take(20).Select(e => e.Message)) + (errors.Count > 20 ? $"; … {errors.Count - 20} more in data.errors" : ""),
            new ErrorData(errors));

    /// <summary>A record changed since the client read it: names the version it is at now.</summary>
    public static Conflict<Envelope<ErrorData>> Stale(long id, long expected, long current) => Conflict(
        $"record {id} is at version {current}, not {expected}: read it again and resend the change with version {current}",
        new ErrorData(CurrentVersion: current));

    public static Unavailable Unavailable(string message) => new(Error(503, message, null));

    public static Envelope<ErrorData> Error(int status, string message, ErrorData? data) =>
        new(status, message, data) { TraceId = CurrentTraceId(null) };

    public static string ValidationMessage(IReadOnlyList<FieldError> errors) =>
        "invalid request: " + string.Join("; ", errors.Take(20).Select(e => e.Message)) + (errors.Count > 20 ? $"; … {errors.Count - 20} more in data.errors" : "");

    /// <summary>The request's W3C trace id (the api always starts an activity per request), else the connection's request id.</summary>
    public static string? CurrentTraceId(HttpContext? context) =>
        Activity.Current is { } activity ? activity.TraceId.ToHexString() : context?.TraceIdentifier;
}
