using System.ComponentModel.DataAnnotations;
using DnsSync.Api.Auth;
using DnsSync.Shared.Records;

namespace DnsSync.Api.Domains;

/// <param name="Domain">The zone name; a Unicode name is stored as punycode (UTS-46, IDNA2008): bücher.de → xn--bcher-kva.de.</param>
public sealed record CreateDomainRequest([property: Required] string? Domain, string? Status)
{
    internal IReadOnlyList<FieldError> Validate(out string domain, out string status)
    {
        var validation = new Validation();
        if (!RecordRules.TryNormalizeDomain(Domain, out domain, out var domainError)) validation.Add("domain", domainError);
        status = Status is null ? "active" : validation.OptionalOneOf("status", Status, DomainEndpoints.Statuses) ?? "";
        return validation.Errors;
    }
}

public sealed record DomainListQuery(string? Page, string? PageSize, string? After)
{
    internal IReadOnlyList<FieldError> Validate(out Paging paging)
    {
        var validation = new Validation();
        paging = validation.Paging(Page, PageSize, After);
        return validation.Errors;
    }
}

/// <summary>The provider binding of a domain, as shown inside the domain.</summary>
public sealed record DomainBindingDto(long Id, string Provider, string ProviderZoneId, long ApiKeyId, string Status);

public sealed record DomainDto(long Id, string Domain, string Status, DomainBindingDto? Binding, DateTime CreatedAt, DateTime UpdatedAt);

/// <summary>
/// A domain's records by status, since when its oldest pending record has waited (null when none waits), and its last
/// finished drift audit (null before the first).
/// </summary>
public sealed record DomainRecordCounts(long Pending, long Running, long Active, long Error, DateTime? OldestPendingSince, DomainLastAudit? LastAudit = null)
{
    public static readonly DomainRecordCounts None = new(0, 0, 0, 0, null);
}

/// <summary>The last finished audit of a domain's zone: when, its outcome (applied, halted, failed) and what it found.</summary>
public sealed record DomainLastAudit(DateTime FinishedAt, string Outcome, int Drift, int Missing, int Orphans, int Blocking)
{
    public int Differences => Drift + Missing + Orphans + Blocking;
}

/// <summary>Zones records may be declared in. Reads need dns:read, creating one dns:admin.</summary>
internal static class DomainEndpoints
{
    public static readonly IReadOnlyList<string> Statuses = ["active", "inactive"];

    public static RouteGroupBuilder MapDomainEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/domains").WithTags("Domains").RequireScope(AccessLevel.Read).WithEnvelopeErrors();
        group.MapPost("/create", CreateAsync).WithName("CreateDomain").RequireScope(AccessLevel.Admin);
        group.MapGet("/", ListAsync).WithName("ListDomains");
        group.MapGet("/{id:long}", GetAsync).WithName("GetDomain");
        return group;
    }

    public static async Task<Results<Ok<Envelope<DomainDto>>, Invalid, Clash>> CreateAsync(
        CreateDomainRequest request, DomainQueries queries, CancellationToken cancellationToken)
    {
        if (request.Validate(out var domain, out var status) is { Count: > 0 } errors) return ApiResults.Invalid(errors);
        return await queries.CreateAsync(domain, status, cancellationToken) is { } created
            ? ApiResults.Ok(created)
            : ApiResults.Conflict($"domain '{domain}' already exists");
    }

    public static async Task<Results<Ok<Envelope<PagedList<DomainDto>>>, Invalid>> ListAsync(
        [AsParameters] DomainListQuery query, DomainQueries queries, CancellationToken cancellationToken) =>
        query.Validate(out var paging) is { Count: > 0 } errors
            ? ApiResults.Invalid(errors)
            : ApiResults.Ok(await queries.ListAsync(paging, cancellationToken));

    public static async Task<Results<Ok<Envelope<DomainDto>>, Missing>> GetAsync(long id, DomainQueries queries, CancellationToken cancellationToken) =>
        await queries.GetAsync(id, cancellationToken) is { } domain
            ? ApiResults.Ok(domain)
            : ApiResults.NotFound($"domain {id} does not exist");
}
