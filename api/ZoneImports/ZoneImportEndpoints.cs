using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using DnsSync.Api.Auth;
using DnsSync.Shared.ZoneImports;

namespace DnsSync.Api.ZoneImports;

/// <param name="ApiKeyId">The key whose zones are imported (its zones are listed by the worker, never by the api).</param>
/// <param name="DryRun">True: only report what would be created. Required, so an import is never a default.</param>
public sealed record ImportZonesRequest([property: Required] long? ApiKeyId, [property: Required] bool? DryRun)
{
    internal IReadOnlyList<FieldError> Validate()
    {
        var validation = new Validation();
        if (ApiKeyId is not > 0) validation.Add("apiKeyId", "apiKeyId is required and must be a positive integer");
        if (DryRun is null) validation.Add("dryRun", "dryRun is required: true to only report what would be created, false to create it");
        return validation.Errors;
    }
}

/// <summary>
/// A zone import request: <c>requested</c> → <c>running</c> (a worker lists the key's zones) → <c>done</c> or
/// <c>error</c> (lastError says why). Counts and zones are set once it is done.
/// </summary>
public sealed record ZoneImportDto(
    long Id, long ApiKeyId, bool DryRun, string Status, string? RequestedBy, int? ZonesSeen, int? Created, int? Existing,
    int? Skipped, IReadOnlyList<ZoneImportItem>? Zones, string? LastError, DateTime CreatedAt, DateTime UpdatedAt, DateTime? FinishedAt);

/// <summary>
/// The CMDB's zone sync: a domain and binding for every zone an API key can see that is not yet a domain. The api
/// only records the request (dns:admin); a worker performs it, so the api never calls the provider.
/// </summary>
internal static class ZoneImportEndpoints
{
    public static RouteGroupBuilder MapZoneImportEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/domains").WithTags("Domains").RequireScope(AccessLevel.Admin).WithEnvelopeErrors();
        group.MapPost("/import-zones", RequestAsync).WithName("ImportZones");
        group.MapGet("/import-zones/{id:long}", GetAsync).WithName("GetZoneImport");
        return group;
    }

    public static async Task<Results<Accepted<Envelope<ZoneImportDto>>, Invalid>> RequestAsync(
        ImportZonesRequest request, ClaimsPrincipal user, ZoneImportQueries queries, CancellationToken cancellationToken)
    {
        var errors = request.Validate().ToList();
        if (errors.Count == 0 && await queries.KeyProblemAsync(request.ApiKeyId!.Value, cancellationToken) is { } problem)
            errors.Add(new FieldError("apiKeyId", problem));
        if (errors.Count > 0) return ApiResults.Invalid(errors);
        var import = await queries.RequestAsync(request.ApiKeyId!.Value, request.DryRun!.Value, Scopes.Subject(user), cancellationToken);
        return TypedResults.Accepted($"/api/v1/domains/import-zones/{import.Id}", new Envelope<ZoneImportDto>(0, "success", import));
    }

    public static async Task<Results<Ok<Envelope<ZoneImportDto>>, Missing>> GetAsync(long id, ZoneImportQueries queries, CancellationToken cancellationToken) =>
        await queries.GetAsync(id, cancellationToken) is { } import
            ? ApiResults.Ok(import)
            : ApiResults.NotFound($"zone import {id} does not exist");
}
