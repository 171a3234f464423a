namespace DnsSync.Api.Providers;

public sealed record BindProviderRequest(long? DomainId, string? Provider, string? ProviderZoneId, long? ApiKeyId);

public sealed record ProviderListQuery(string? DomainId, string? Page, string? PageSize);

public sealed record ProviderBindingDto(
    long Id, long DomainId, string Domain, string Provider, string ProviderZoneId, long ApiKeyId, string Status,
    DateTime CreatedAt, DateTime UpdatedAt);

/// <summary>Which provider zone and API key serve a domain: one binding per domain.</summary>
internal static class ProviderEndpoints
{
    public static RouteGroupBuilder MapProviderEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/dns/providers").WithTags("Provider bindings").RequireAuthorization();
        group.MapPost("/bind", BindAsync).WithName("BindProvider");
        group.MapGet("/", ListAsync).WithName("ListProviderBindings");
        return group;
    }

    public static async Task<Results<Ok<Envelope<ProviderBindingDto>>, BadRequest<Envelope<ErrorData>>>>
        BindAsync(BindProviderRequest request, ProviderQueries queries, CancellationToken cancellationToken)
    {
        var validation = new Validation();
        if (request.DomainId is not > 0) validation.Add("domainId", "domainId is required and must be a positive integer");
        if (request.Provider?.Trim().ToLowerInvariant() != "cloudflare") validation.Add("provider", "provider must be 'cloudflare'");
        var zoneId = request.ProviderZoneId?.Trim() ?? "";
        if (zoneId.Length is 0 or > 64 || !zoneId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            validation.Add("providerZoneId", "providerZoneId is required: 1 to 64 letters, digits, '-' or '_' (the zone id from the provider)");
        if (request.ApiKeyId is not > 0) validation.Add("apiKeyId", "apiKeyId is required and must be a positive integer");
        if (request is { DomainId: > 0, ApiKeyId: > 0 })
        {
            var (domainExists, keyExists) = await queries.ExistAsync(request.DomainId.Value, request.ApiKeyId.Value, cancellationToken);
            if (!domainExists) validation.Add("domainId", $"domain {request.DomainId} does not exist");
            if (!keyExists) validation.Add("apiKeyId", $"API key {request.ApiKeyId} does not exist");
        }
        if (!validation.IsValid) return ApiResults.Invalid(validation.Errors);

        return ApiResults.Ok(await queries.UpsertAsync(request.DomainId!.Value, "cloudflare", zoneId, request.ApiKeyId!.Value, cancellationToken));
    }

    public static async Task<Results<Ok<Envelope<PagedList<ProviderBindingDto>>>, BadRequest<Envelope<ErrorData>>>>
        ListAsync([AsParameters] ProviderListQuery query, ProviderQueries queries, CancellationToken cancellationToken)
    {
        var validation = new Validation();
        var domainId = validation.OptionalId("domainId", query.DomainId);
        var (page, pageSize) = validation.Paging(query.Page, query.PageSize);
        if (!validation.IsValid) return ApiResults.Invalid(validation.Errors);
        return ApiResults.Ok(await queries.ListAsync(domainId, page, pageSize, cancellationToken));
    }
}
