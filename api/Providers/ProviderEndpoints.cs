using System.ComponentModel.DataAnnotations;
using DnsSync.Api.Auth;

namespace DnsSync.Api.Providers;

/// <param name="MoveRecords">
/// On a change of zone: delete the records left at the old zone once each row is active at the new one (only records
/// this installation marked as its own). Without it they are kept there and listed (GET /domains/{id}/stranded).
/// </param>
public sealed record BindProviderRequest(
    [property: Required] long? DomainId, [property: Required] string? Provider, [property: Required] string? ProviderZoneId,
    [property: Required] long? ApiKeyId, bool? MoveRecords = null)
{
    /// <summary>The checks that need no database: the references' existence is checked by the handler.</summary>
    internal IReadOnlyList<FieldError> Validate(out string zoneId)
    {
        var validation = new Validation();
        if (DomainId is not > 0) validation.Add("domainId", "domainId is required and must be a positive integer");
        if (Provider?.Trim().ToLowerInvariant() != ProviderEndpoints.Cloudflare) validation.Add("provider", "provider must be 'cloudflare'");
        zoneId = ProviderZoneId?.Trim() ?? "";
        if (zoneId.Length is 0 or > 64 || !zoneId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            validation.Add("providerZoneId", "providerZoneId is required: 1 to 64 letters, digits, '-' or '_' (the zone id from the provider)");
        if (ApiKeyId is not > 0) validation.Add("apiKeyId", "apiKeyId is required and must be a positive integer");
        return validation.Errors;
    }
}

public sealed record ProviderListQuery(string? DomainId, string? Page, string? PageSize, string? After)
{
    internal IReadOnlyList<FieldError> Validate(out long? domainId, out Paging paging)
    {
        var validation = new Validation();
        domainId = validation.OptionalId("domainId", DomainId);
        paging = validation.Paging(Page, PageSize, After);
        return validation.Errors;
    }
}

public sealed record ProviderBindingDto(
    long Id, long DomainId, string Domain, string Provider, string ProviderZoneId, long ApiKeyId, string Status,
    DateTime CreatedAt, DateTime UpdatedAt)
{
    /// <summary>In a bind's answer, when it changed the zone or the API key: what happened to the domain's records.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public RebindDto? Rebind { get; init; }
}

/// <summary>Which provider zone and API key serve a domain: one binding per domain. Reads need dns:read, binding dns:admin.</summary>
internal static class ProviderEndpoints
{
    public const string Cloudflare = "cloudflare";

    public static RouteGroupBuilder MapProviderEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/dns/providers").WithTags("Provider bindings").RequireScope(AccessLevel.Read).WithEnvelopeErrors();
        group.MapPost("/bind", BindAsync).WithName("BindProvider").RequireScope(AccessLevel.Admin);
        group.MapGet("/", ListAsync).WithName("ListProviderBindings");
        return group;
    }

    public static async Task<Results<Ok<Envelope<ProviderBindingDto>>, Invalid>> BindAsync(
        BindProviderRequest request, ProviderQueries queries, CancellationToken cancellationToken)
    {
        var errors = request.Validate(out var zoneId).ToList();
        if (request is { DomainId: > 0, ApiKeyId: > 0 })
        {
            var (domainExists, keyExists) = await queries.ExistAsync(request.DomainId.Value, request.ApiKeyId.Value, cancellationToken);
            if (!domainExists) errors.Add(new FieldError("domainId", $"domain {request.DomainId} does not exist"));
            if (!keyExists) errors.Add(new FieldError("apiKeyId", $"API key {request.ApiKeyId} does not exist"));
        }
        if (errors.Count > 0) return ApiResults.Invalid(errors);
        return ApiResults.Ok(await queries.SetBindingAsync(request.DomainId!.Value, Cloudflare, zoneId, request.ApiKeyId!.Value,
            request.MoveRecords ?? false, cancellationToken));
    }

    public static async Task<Results<Ok<Envelope<PagedList<ProviderBindingDto>>>, Invalid>> ListAsync(
        [AsParameters] ProviderListQuery query, ProviderQueries queries, CancellationToken cancellationToken) =>
        query.Validate(out var domainId, out var paging) is { Count: > 0 } errors
            ? ApiResults.Invalid(errors)
            : ApiResults.Ok(await queries.ListAsync(domainId, paging, cancellationToken));
}
