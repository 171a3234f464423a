using DnsSync.Api.Auth;
using DnsSync.Shared.Records;
using Microsoft.AspNetCore.Mvc;

namespace DnsSync.Api.Records;

/// <summary>
/// Record intent: create (one or a thousand), update, delete (mark absent), retry, list, get. Writes rows the worker
/// reconciles; never calls a DNS provider. Reads need dns:read, changes dns:write.
/// </summary>
internal static class RecordEndpoints
{
    public static RouteGroupBuilder MapRecordEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/dns/records").WithTags("Records").RequireScope(AccessLevel.Read).WithEnvelopeErrors();
        group.MapPost("/create", CreateAsync).WithName("CreateRecord").RequireScope(AccessLevel.Write);
        group.MapPost("/bulk-create", BulkCreateAsync).WithName("BulkCreateRecords").RequireScope(AccessLevel.Write)
            .WithMaxBodySize(BulkCreateRecordsRequest.MaxBodyBytes);
        group.MapPost("/update", UpdateAsync).WithName("UpdateRecord").RequireScope(AccessLevel.Write);
        group.MapPost("/delete", DeleteAsync).WithName("DeleteRecords").RequireScope(AccessLevel.Write);
        group.MapPost("/retry", RetryAsync).WithName("RetryRecord").RequireScope(AccessLevel.Write);
        group.MapGet("/", ListAsync).WithName("ListRecords");
        group.MapGet("/{id:long}", GetAsync).WithName("GetRecord");
        return group;
    }

    public static async Task<Results<Ok<Envelope<RecordDto>>, Invalid, Clash, Unavailable>> CreateAsync(
        CreateRecordRequest request, RecordQueries queries, CancellationToken cancellationToken)
    {
        var zone = request.DomainId is > 0 and var domainId ? await queries.FindZoneAsync(domainId, cancellationToken) : null;
        if (request.Validate(zone, out var record) is { Count: > 0 } errors) return ApiResults.Invalid(errors);
        return await queries.CreateAsync(record, zone!, cancellationToken) switch
        {
            CreateOutcome.Created created => ApiResults.Ok(created.Record),
            CreateOutcome.Existing existing => ApiResults.Ok(existing.Record),
            CreateOutcome.Conflict conflict => ApiResults.Conflict(conflict.Message, conflict.ConflictingId == 0 ? null : conflict.ConflictingId),
            CreateOutcome.DomainNotUsable => ApiResults.Invalid("domainId", await DomainProblemAsync(record.DomainId, queries, cancellationToken)),
            _ => ApiResults.Unavailable("another create for this name is still running: retry shortly"),
        };
    }

    public static async Task<Results<Ok<Envelope<BulkCreateResult>>, Invalid, Clash, Unavailable>> BulkCreateAsync(
        BulkCreateRecordsRequest request, RecordQueries queries, BulkCreateQueries bulk, CancellationToken cancellationToken)
    {
        var domainIds = request.Records?.Take(BulkCreateRecordsRequest.MaxRecords + 1).Select(r => r?.DomainId ?? 0).Where(id => id > 0).Distinct() ?? [];
        var zones = await queries.FindZonesAsync(domainIds.ToArray(), cancellationToken);
        if (request.Validate(zones, out var records) is { Count: > 0 } errors) return ApiResults.Invalid(errors);
        return await bulk.CreateAsync(records, zones, cancellationToken) switch
        {
            BulkOutcome.Done done => ApiResults.Ok(done.Result),
            BulkOutcome.Invalid invalid => ApiResults.Invalid(invalid.Errors),
            BulkOutcome.Conflicts conflicts => ApiResults.Conflicts(conflicts.Errors),
            _ => ApiResults.Unavailable("other creates for these names are still running: retry shortly"),
        };
    }

    /// <summary>Why a domain cannot take records, for the 400 (only read when a create was refused for it).</summary>
    private static async Task<string> DomainProblemAsync(long domainId, RecordQueries queries, CancellationToken cancellationToken) =>
        await queries.FindDomainTargetAsync(domainId, cancellationToken) is { } domain ? domain.Problem : $"domain {domainId} does not exist";

    public static async Task<Results<Ok<Envelope<RecordDto>>, Invalid, Missing, Clash>> UpdateAsync(
        UpdateRecordRequest request, [FromHeader(Name = "If-Match")] string? ifMatch, RecordQueries queries, CancellationToken cancellationToken)
    {
        if (Versions.Check(request.Validate(), request.Version, ifMatch, out var version) is { Count: > 0 } errors) return ApiResults.Invalid(errors);
        var id = request.Id!.Value;
        if (await queries.GetAsync(id, cancellationToken) is not { } current) return ApiResults.NotFound($"record {id} does not exist");
        if (Versions.IsStale(current, version)) return ApiResults.Stale(id, version!.Value, current.Version);
        if (current.DesiredState != DesiredState.Present) return BeingDeleted(id);
        if (request.ValidateFor(current, out var value) is { Count: > 0 } invalid) return ApiResults.Invalid(invalid);
        // An update that changes nothing is answered with the record as it is: no version bump, no re-sync.
        if (request.ChangesNothing(current, value)) return ApiResults.Ok(current);
        var result = await queries.UpdateAsync(id, value, request.Ttl, request.Proxied, version, cancellationToken);
        return result.Outcome switch
        {
            ChangeOutcome.Applied => ApiResults.Ok(result.Record!),
            ChangeOutcome.NotFound => ApiResults.NotFound($"record {id} does not exist"),
            ChangeOutcome.Stale => ApiResults.Stale(id, version ?? current.Version, result.Record!.Version),
            ChangeOutcome.Duplicate => ApiResults.Conflict($"another present {current.Type} record '{current.Name}' already has the value "
                + $"'{Validation.Shorten(value!)}'{(result.ClashId is { } clash ? $" (record {clash})" : "")}", result.ClashId),
            _ => BeingDeleted(id),
        };
    }

    private static Clash BeingDeleted(long id) => ApiResults.Conflict($"record {id} is being deleted (desired state absent): create a new record instead");

    public static async Task<Results<Ok<Envelope<AffectedCount>>, Invalid, Clash>> DeleteAsync(
        RecordIdsRequest request, [FromHeader(Name = "If-Match")] string? ifMatch, RecordQueries queries, CancellationToken cancellationToken)
    {
        if (Versions.Check(request.Validate(out var ids), request.Version, ifMatch, out var version) is { Count: > 0 } errors) return ApiResults.Invalid(errors);
        if (version is null) return ApiResults.Ok(new AffectedCount(await queries.MarkAbsentAsync(ids, cancellationToken)));
        if (ids.Length != 1) return ApiResults.Invalid("version", "If-Match applies to one record: send one id with it");
        var result = await queries.MarkAbsentAsync(ids[0], version.Value, cancellationToken);
        return result.Outcome == ChangeOutcome.Stale
            ? ApiResults.Stale(ids[0], version.Value, result.Record!.Version)
            : ApiResults.Ok(new AffectedCount(result.Outcome == ChangeOutcome.Applied ? 1 : 0));
    }

    public static async Task<Results<Ok<Envelope<RecordDto>>, Invalid, Missing, Clash>> RetryAsync(
        RecordIdRequest request, [FromHeader(Name = "If-Match")] string? ifMatch, RecordQueries queries, CancellationToken cancellationToken)
    {
        if (Versions.Check(request.Validate(), request.Version, ifMatch, out var version) is { Count: > 0 } errors) return ApiResults.Invalid(errors);
        var id = request.Id!.Value;
        var result = await queries.RetryAsync(id, version, cancellationToken);
        return result.Outcome switch
        {
            ChangeOutcome.Applied => ApiResults.Ok(result.Record!),
            ChangeOutcome.NotFound => ApiResults.NotFound($"record {id} does not exist"),
            ChangeOutcome.Stale => ApiResults.Stale(id, version!.Value, result.Record!.Version),
            _ => ApiResults.Conflict($"record {id} is {result.Record!.Status}, not error: only records in error can be retried"),
        };
    }

    public static async Task<Results<Ok<Envelope<PagedList<RecordDto>>>, Invalid>> ListAsync(
        [AsParameters] RecordListQuery query, RecordQueries queries, CancellationToken cancellationToken)
    {
        if (query.Validate(out var filter) is { Count: > 0 } errors) return ApiResults.Invalid(errors);
        // With a domain the name filter normalises like a create does ("www.example.com." finds "www");
        // without one it is matched as given, lower-cased.
        if (filter is { Name: not null, DomainId: { } domainId } && await queries.FindZoneAsync(domainId, cancellationToken) is { } zone)
        {
            if (!RecordRules.TryNormalizeName(zone, query.Name, out var name, out var nameError)) return ApiResults.Invalid("name", nameError);
            filter = filter with { Name = name };
        }
        return ApiResults.Ok(await queries.ListAsync(filter, cancellationToken));
    }

    public static async Task<Results<Ok<Envelope<RecordDto>>, Missing>> GetAsync(long id, RecordQueries queries, CancellationToken cancellationToken) =>
        await queries.GetAsync(id, cancellationToken) is { } record
            ? ApiResults.Ok(record)
            : ApiResults.NotFound($"record {id} does not exist");
}
