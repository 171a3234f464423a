using System.Reflection;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;

namespace DnsSync.Api.Infrastructure;

/// <summary>A 503 envelope as a typed result, so OpenAPI sees it (a <c>TypedResults.Json</c> 503 is invisible there).</summary>
public sealed class Unavailable(Envelope<ErrorData> value)
    : IResult, IEndpointMetadataProvider, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<Envelope<ErrorData>>
{
    public int StatusCode => StatusCodes.Status503ServiceUnavailable;
    int? IStatusCodeHttpResult.StatusCode => StatusCode;
    public Envelope<ErrorData> Value => value;
    object? IValueHttpResult.Value => value;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = StatusCode;
        var options = httpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        return httpContext.Response.WriteAsJsonAsync(value, options, contentType: "application/json; charset=utf-8");
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status503ServiceUnavailable, typeof(Envelope<ErrorData>), ["application/json"]));
}
