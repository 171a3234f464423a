using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace DnsSync.Api.Infrastructure;

/// <summary>
/// Makes every error the <c>{code, message, data, traceId}</c> envelope: exceptions (malformed JSON, wrong content type,
/// unknown members, database down, bugs) through <see cref="ApiExceptionHandler"/>, and bodiless status codes (unknown
/// route, wrong method, challenges) through status code pages. The ProblemDetails shape is never produced.
/// </summary>
internal static class ErrorHandling
{
    public static IServiceCollection AddEnvelopeErrors(this IServiceCollection services)
    {
        // Binding failures (malformed JSON, wrong content type, missing body) throw BadHttpRequestException,
        // which the exception handler turns into an envelope that names the field.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddExceptionHandler<ApiExceptionHandler>();
        return services;
    }

    public static WebApplication UseEnvelopeErrors(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            // Only reached if ApiExceptionHandler declined, which it never does; kept as a last resort.
            ExceptionHandler = context => WriteAsync(context, StatusCodes.Status500InternalServerError, "internal error"),
        });
        app.UseStatusCodePages(context => context.HttpContext.Response.HasStarted
            ? Task.CompletedTask
            : WriteAsync(context.HttpContext, context.HttpContext.Response.StatusCode, MessageFor(context.HttpContext)));
        return app;
    }

    public static Task WriteAsync(HttpContext context, int status, string message, ErrorData? data = null)
    {
        context.Response.StatusCode = status;
        var options = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var envelope = new Envelope<ErrorData>(status, message, data) { TraceId = ApiResults.CurrentTraceId(context) };
        return context.Response.WriteAsJsonAsync(envelope, options, contentType: "application/json; charset=utf-8");
    }

    private static string MessageFor(HttpContext context) => context.Response.StatusCode switch
    {
        StatusCodes.Status401Unauthorized => "authentication required: send Authorization: Bearer <JWT>",
        StatusCodes.Status403Forbidden => "forbidden",
        StatusCodes.Status404NotFound => $"no route matches {context.Request.Method} {context.Request.Path}",
        StatusCodes.Status405MethodNotAllowed => $"method {context.Request.Method} is not allowed on {context.Request.Path}",
        StatusCodes.Status415UnsupportedMediaType => "Content-Type must be application/json",
        var status when status >= 500 => "internal error",
        _ => "request failed",
    };
}

/// <summary>Maps exceptions to envelope responses; nothing about the exception (stack, SQL) reaches the client.</summary>
internal sealed partial class ApiExceptionHandler(ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        switch (exception)
        {
            case BadHttpRequestException bad:
                await WriteBadRequestAsync(context, bad);
                return true;
            case MySqlException db when IsUnavailable(db):
                LogDatabaseUnavailable(logger, db.ErrorCode, context.Request.Method, context.Request.Path, ApiResults.CurrentTraceId(context));
                await ErrorHandling.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "database unavailable: try again later");
                return true;
            case OperationCanceledException when context.RequestAborted.IsCancellationRequested:
                // The client went away; there is nobody to answer.
                context.Response.StatusCode = 499;
                return true;
            default:
                LogUnhandled(logger, exception, context.Request.Method, context.Request.Path, ApiResults.CurrentTraceId(context));
                await ErrorHandling.WriteAsync(context, StatusCodes.Status500InternalServerError, "internal error");
                return true;
        }
    }

    private static Task WriteBadRequestAsync(HttpContext context, BadHttpRequestException bad)
    {
        if (bad.StatusCode == StatusCodes.Status415UnsupportedMediaType)
            return ErrorHandling.WriteAsync(context, 415, "Content-Type must be application/json");
        if (bad.StatusCode == StatusCodes.Status413PayloadTooLarge)
            return RequestLimits.WriteTooLargeAsync(context);
        if (bad.InnerException is JsonException json)
        {
            // Path is "$.ttl" or "$.records[2].value"; the message of a JsonException may quote types, not values.
            var field = json.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : null;
            // System.Text.Json reports a member no property maps to (UnmappedMemberHandling.Disallow) with its path.
            var unknown = field is not null && json.Message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal);
            var message = field is null ? "request body is not valid JSON"
                : unknown ? $"{field} is not a field of this request: remove it (field names are camelCase)"
                : $"{field} has an invalid value or the wrong JSON type";
            return ErrorHandling.WriteAsync(context, 400, message,
                field is null ? null : new ErrorData([new FieldError(field, message)]));
        }
        if (bad.Message.Contains("no body was provided", StringComparison.OrdinalIgnoreCase))
            return ErrorHandling.WriteAsync(context, 400, "request body is required: send a JSON object");
        return ErrorHandling.WriteAsync(context, bad.StatusCode, bad.StatusCode == 400 ? "bad request" : "request failed");
    }

    /// <summary>Connection-level failures, which retrying later can fix; SQL errors stay 500.</summary>
    private static bool IsUnavailable(MySqlException ex) =>
        ex.IsTransient || ex.ErrorCode is MySqlErrorCode.UnableToConnectToHost or MySqlErrorCode.AccessDenied
            or MySqlErrorCode.UnknownDatabase or MySqlErrorCode.ServerShutdown or MySqlErrorCode.TooManyUserConnections
            or MySqlErrorCode.ConnectionCountError;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database unavailable ({ErrorCode}) during {Method} {Path} (trace {TraceId})")]
    private static partial void LogDatabaseUnavailable(ILogger logger, MySqlErrorCode errorCode, string method, string path, string? traceId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled exception during {Method} {Path} (trace {TraceId})")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method, string path, string? traceId);
}
