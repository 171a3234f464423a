using DnsSync.Api.Auth;

namespace DnsSync.Api.Audits;

/// <summary>
/// The drift audit of a domain's zone: the last audit and its differences, an audit now (or the confirm of a halted one),
/// the plan of what the worker would change, and the import of unmanaged records. The api records requests the worker
/// picks up and never calls the provider. Every route needs dns:admin.
/// </summary>
internal static class AuditEndpoints
{
    public static RouteGroupBuilder MapAuditEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/domains/{id:long}").WithTags("Audits").RequireScope(AccessLevel.Admin).WithEnvelopeErrors();
        group.MapGet("/audit", GetAuditAsync).WithName("GetAudit");
        group.MapPost("/audit", RequestAuditAsync).WithName("RequestAudit");
        group.MapGet("/plan", GetPlanAsync).WithName("GetPlan");
        group.MapPost("/import", ImportAsync).WithName("ImportRecords");
        return group;
    }

    public static async Task<Results<Ok<Envelope<AuditDto>>, Invalid, Missing>> GetAuditAsync(
        long id, [AsParameters] AuditQuery query, AuditQueries audits, CancellationToken cancellationToken)
    {
        if (query.Validate(out var kind, out var paging) is { Count: > 0 } errors) return ApiResults.Invalid(errors);
        return await audits.GetAsync(id, kind, paging, cancellationToken) is { } audit ? ApiResults.Ok(audit) : DomainMissing(id);
    }

    /// <summary>202: the audit is requested (a worker runs it within about DnsWorker:IntervalSec); the answer is the state as it is now.</summary>
    public static async Task<Results<Accepted<Envelope<AuditDto>>, Invalid, Missing, Clash>> RequestAuditAsync(
        long id, AuditRequest? request, AuditQueries audits, CancellationToken cancellationToken)
    {
        var (outcome, problem) = await audits.RequestAsync(id, request?.Confirm == true, cancellationToken);
        return outcome switch
        {
            AuditRequestOutcome.DomainMissing => DomainMissing(id),
            AuditRequestOutcome.NotAuditable => ApiResults.Invalid("id", $"{problem}: a zone is audited through its active binding"),
            AuditRequestOutcome.NotHalted => ApiResults.Conflict($"the last audit of domain {id} is not halted: there is nothing to confirm (POST without confirm audits now)"),
            _ => TypedResults.Accepted($"/api/v1/domains/{id}/audit",
                new Envelope<AuditDto>(0, "accepted: a worker audits the zone shortly; GET this route for the outcome",
                    (await audits.GetAsync(id, null, new Paging(1, 20, null), cancellationToken))!)),
        };
    }

    public static async Task<Results<Ok<Envelope<PlanDto>>, Invalid, Missing>> GetPlanAsync(
        long id, [AsParameters] PlanQuery query, PlanQueries plans, CancellationToken cancellationToken)
    {
        if (query.Validate(out var paging) is { Count: > 0 } errors) return ApiResults.Invalid(errors);
        return await plans.GetAsync(id, paging, cancellationToken) is { } plan ? ApiResults.Ok(plan) : DomainMissing(id);
    }

    public static async Task<Results<Ok<Envelope<ImportResultDto>>, Invalid, Missing, Clash, Unavailable>> ImportAsync(
        long id, ImportRequest? request, ImportQueries imports, CancellationToken cancellationToken) =>
        await imports.ImportAsync(id, request?.DryRun == true, cancellationToken) switch
        {
            ImportOutcome.Done done => ApiResults.Ok(done.Result),
            ImportOutcome.DomainMissing => DomainMissing(id),
            ImportOutcome.NotAudited => ApiResults.Conflict($"domain {id} has no completed audit yet, so nothing is known to import: POST /api/v1/domains/{id}/audit first"),
            ImportOutcome.Invalid invalid => ApiResults.Invalid("id", invalid.Problem),
            _ => ApiResults.Unavailable("other creates for these names are still running: retry shortly"),
        };

    private static Missing DomainMissing(long id) => ApiResults.NotFound($"domain {id} does not exist");
}
