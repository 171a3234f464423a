using DnsSync.Api.Auth;

namespace DnsSync.Api.Providers;

public sealed record StrandedListQuery(string? Page, string? PageSize, string? After)
{
    internal IReadOnlyList<FieldError> Validate(out Paging paging)
    {
        var validation = new Validation();
        paging = validation.Paging(Page, PageSize, After);
        return validation.Errors;
    }
}

/// <param name="Ids">Entries of GET /domains/{id}/stranded whose records the worker is to delete.</param>
public sealed record StrandedDeleteRequest(long[]? Ids)
{
    internal IReadOnlyList<FieldError> Validate(out long[] ids)
    {
        var validation = new Validation();
        ids = validation.Ids(Ids);
        return validation.Errors;
    }
}

/// <summary>
/// Records a rebind left at a domain's previous zones: listed (dns:read) until they are deleted, which the bind asks
/// for with moveRecords or an admin later through <c>stranded/delete</c>.
/// </summary>
internal static class StrandedRecordEndpoints
{
    public static RouteGroupBuilder MapStrandedRecordEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/domains/{id:long}/stranded").WithTags("Provider bindings").RequireScope(AccessLevel.Read).WithEnvelopeErrors();
        group.MapGet("/", ListAsync).WithName("ListStrandedRecords");
        group.MapPost("/delete", DeleteAsync).WithName("DeleteStrandedRecords").RequireScope(AccessLevel.Admin);
        return group;
    }

    public static async Task<Results<Ok<Envelope<PagedList<StrandedRecordDto>>>, Invalid, Missing>> ListAsync(
        long id, [AsParameters] StrandedListQuery query, StrandedRecordQueries queries, CancellationToken cancellationToken)
    {
        if (query.Validate(out var paging) is { Count: > 0 } errors) return ApiResults.Invalid(errors);
        return await queries.ListAsync(id, paging, cancellationToken) is { } page
            ? ApiResults.Ok(page)
            : ApiResults.NotFound($"domain {id} does not exist");
    }

    public static async Task<Results<Ok<Envelope<AffectedCount>>, Invalid, Missing>> DeleteAsync(
        long id, StrandedDeleteRequest request, StrandedRecordQueries queries, CancellationToken cancellationToken)
    {
        if (request.Validate(out var ids) is { Count: > 0 } errors) return ApiResults.Invalid(errors);
        return await queries.RequestDeleteAsync(id, ids, cancellationToken) is { } affected
            ? ApiResults.Ok(new AffectedCount(affected))
            : ApiResults.NotFound($"domain {id} does not exist");
    }
}
