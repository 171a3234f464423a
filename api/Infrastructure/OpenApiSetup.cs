using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Nodes;
using DnsSync.Shared.Records;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace DnsSync.Api.Infrastructure;

/// <summary>
/// OpenAPI document at /openapi/v1.json with a bearer scheme on authorised operations, every status a route can answer,
/// and the types of the query parameters (read as text by the api so each bad one is named); Scalar reference at /scalar/v1.
/// </summary>
internal static class OpenApiSetup
{
    private const string Scheme = "Bearer";

    /// <summary>Query parameters by name: what they are, although the api binds them as text.</summary>
    private static readonly Dictionary<string, Func<OpenApiSchema>> QueryTypes = new()
    {
        ["domainId"] = () => Integer("int64", 1),
        ["ownerId"] = () => Integer("int64", 0),
        ["page"] = () => Integer("int32", 1),
        ["pageSize"] = () => new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Minimum = "1", Maximum = Validation.MaxPageSize.ToString(System.Globalization.CultureInfo.InvariantCulture), Default = 20 },
        ["after"] = () => new OpenApiSchema { Type = JsonSchemaType.String, Description = "nextCursor of the page before (keyset paging)" },
        ["status"] = () => Enum(RecordStatus.All),
        ["desiredState"] = () => Enum(DesiredState.All),
        ["ownerType"] = () => Enum(RecordRules.OwnerTypes),
        ["type"] = () => Enum(RecordRules.Types),
    };

    public static IServiceCollection AddApiDocumentation(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "dns-sync API";
                document.Info.Description = "Declares DNS records; a worker reconciles them with the provider. Every response is {code, message, data}; errors add traceId.";
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[Scheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    BearerFormat = "JWT",
                    Description = "HS256 JWT signed with Auth__JwtSecret (dotnet run --project api -- token --sub <name> --scope dns:write); scopes dns:read, dns:write, dns:admin",
                };
                return Task.CompletedTask;
            });
            options.AddOperationTransformer((operation, context, _) =>
            {
                var metadata = context.Description.ActionDescriptor.EndpointMetadata;
                if (metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any())
                    operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Scheme, context.Document)] = [] }];
                foreach (var parameter in operation.Parameters?.OfType<OpenApiParameter>() ?? [])
                {
                    if (parameter.In != ParameterLocation.Query || parameter.Name is null) continue;
                    // Query records bind case-insensitively; the document names them as clients write them.
                    parameter.Name = JsonNamingPolicy.CamelCase.ConvertName(parameter.Name);
                    if (QueryTypes.TryGetValue(parameter.Name, out var schema)) parameter.Schema = schema();
                }
                return Task.CompletedTask;
            });
            // Request records declare every field as a constructor parameter, which the generator reads as required; the
            // fields a request cannot do without carry [Required], and only those are listed.
            options.AddSchemaTransformer((schema, context, _) =>
            {
                var required = context.JsonTypeInfo.Type.GetProperties()
                    .Where(p => p.GetCustomAttributes(typeof(RequiredAttribute), true).Length > 0)
                    .Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name))
                    .ToHashSet();
                if (required.Count > 0 || schema.Required is { Count: > 0 } && context.JsonTypeInfo.Type.Name.EndsWith("Request", StringComparison.Ordinal))
                    schema.Required = required;
                return Task.CompletedTask;
            });
        });

    /// <summary>
    /// Declares the errors the pipeline answers for every route of the group before its handler runs: 401 and 403
    /// (authorization), 413 (body limit, on POST), 429 (rate limit), 503 (database unavailable).
    /// </summary>
    public static RouteGroupBuilder WithEnvelopeErrors(this RouteGroupBuilder group)
    {
        ((IEndpointConventionBuilder)group).Finally(endpoint =>
        {
            var isPost = endpoint.Metadata.OfType<IHttpMethodMetadata>().Any(m => m.HttpMethods.Contains("POST"));
            int[] statuses = isPost ? [400, 401, 403, 413, 429, 503] : [401, 403, 429, 503];
            foreach (var status in statuses)
                endpoint.Metadata.Add(new ProducesResponseTypeMetadata(status, typeof(Envelope<ErrorData>), ["application/json"]));
        });
        return group;
    }

    public static WebApplication MapApiDocumentation(this WebApplication app)
    {
        app.MapOpenApi().AllowAnonymous();
        app.MapScalarApiReference(options => options.WithTitle("dns-sync API")).AllowAnonymous();
        return app;
    }

    private static OpenApiSchema Integer(string format, int minimum) =>
        new() { Type = JsonSchemaType.Integer, Format = format, Minimum = minimum.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    private static OpenApiSchema Enum(IEnumerable<string> values) =>
        new() { Type = JsonSchemaType.String, Enum = values.Select(v => (JsonNode)JsonValue.Create(v)!).ToList() };
}
