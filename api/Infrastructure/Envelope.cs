using System.Text.Json.Serialization;

namespace DnsSync.Api.Infrastructure;

/// <summary>Every response body: <c>{code, message, data}</c>; code 0 on success, else the HTTP status.</summary>
public sealed record Envelope<T>(int Code, string Message, T? Data);

/// <summary>What an error carries beyond its message: the invalid fields, or the record it collides with.</summary>
public sealed record ErrorData(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<FieldError>? Errors = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? ConflictingId = null);

/// <summary>One invalid field of a request, named as the client spelled it (camelCase).</summary>
public sealed record FieldError(string Field, string Message);

/// <summary>A page of a list: <c>{list, total, page, pageSize}</c>.</summary>
public sealed record PagedList<T>(IReadOnlyList<T> List, long Total, int Page, int PageSize);

/// <summary>The answer of bulk operations: how many rows changed.</summary>
public sealed record AffectedCount(int Affected);

/// <summary>Typed results wrapped in the envelope, so OpenAPI and tests see every outcome.</summary>
internal static class ApiResults
{
    public static Ok<Envelope<T>> Ok<T>(T data) => TypedResults.Ok(new Envelope<T>(0, "success", data));

    public static BadRequest<Envelope<ErrorData>> Invalid(IReadOnlyList<FieldError> errors) =>
        TypedResults.BadRequest(new Envelope<ErrorData>(400, ValidationMessage(errors), new ErrorData(errors)));

    public static BadRequest<Envelope<ErrorData>> Invalid(string field, string message) => Invalid([new FieldError(field, message)]);

    public static NotFound<Envelope<ErrorData>> NotFound(string message) =>
        TypedResults.NotFound(new Envelope<ErrorData>(404, message, null));

    public static Conflict<Envelope<ErrorData>> Conflict(string message, long? conflictingId = null) =>
        TypedResults.Conflict(new Envelope<ErrorData>(409, message, conflictingId is null ? null : new ErrorData(ConflictingId: conflictingId)));

    public static string ValidationMessage(IReadOnlyList<FieldError> errors) =>
        "invalid request: " + string.Join("; ", errors.Select(e => e.Message));
}
