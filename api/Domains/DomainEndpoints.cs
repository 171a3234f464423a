using DnsSync.Shared.Records;

namespace DnsSync.Api.Domains;

public sealed record CreateDomainRequest(string? Domain, string? Status);

public sealed record DomainListQuery(string? Page, string? PageSize);

/// <summary>The provider binding of a domain, as shown inside the domain.</summary>
public sealed record DomainBindingDto(long Id, string Provider, string ProviderZoneId, long ApiKeyId, string Status);

public sealed record DomainDto(long Id, string Domain, string Status, DomainBindingDto? Binding, DateTime CreatedAt, DateTime UpdatedAt);

/// <summary>Zones records may be declared in.</summary>
internal static class DomainEndpoints
{
    public static readonly IReadOnlyList<string> Statuses = ["active", "inactive"];

    public static RouteGroupBuilder MapDomainEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/domains").WithTags("Domains").RequireAuthorization();
        group.MapPost("/create", CreateAsync).WithName("CreateDomain");
        group.MapGet("/", ListAsync).WithName("ListDomains");
        group.MapGet("/{id:long}", GetAsync).WithName("GetDomain");
        return group;
    }

    public static async Task<Results<Ok<Envelope<DomainDto>>, BadRequest<Envelope<ErrorData>>, Conflict<Envelope<ErrorData>>>>
        CreateAsync(CreateDomainRequest request, DomainQueries queries, CancellationToken cancellationToken)
    {
        var validation = new Validation();
        if (!RecordRules.TryNormalizeDomain(request.Domain, out var domain, out var domainError)) validation.Add("domain", domainError);
        var status = request.Status is null ? "active" : validation.OptionalOneOf("status", request.Status, Statuses) ?? "";
        if (!validation.IsValid) return ApiResults.Invalid(validation.Errors);

        var created = await queries.CreateAsync(domain, status, cancellationToken);
        return created is null
            ? ApiResults.Conflict($"domain '{domain}' already exists")
            : ApiResults.Ok(created);
    }

    public static async Task<Results<Ok<Envelope<PagedList<DomainDto>>>, BadRequest<Envelope<ErrorData>>>>
        ListAsync([AsParameters] DomainListQuery query, DomainQueries queries, CancellationToken cancellationToken)
    {
        var validation = new Validation();
        var (page, pageSize) = validation.Paging(query.Page, query.PageSize);
        if (!validation.IsValid) return ApiResults.Invalid(validation.Errors);
        return ApiResults.Ok(await queries.ListAsync(page, pageSize, cancellationToken));
    }

    public static async Task<Results<Ok<Envelope<DomainDto>>, NotFound<Envelope<ErrorData>>>>
        GetAsync(long id, DomainQueries queries, CancellationToken cancellationToken) =>
        await queries.GetAsync(id, cancellationToken) is { } domain
            ? ApiResults.Ok(domain)
            : ApiResults.NotFound($"domain {id} does not exist");
}
