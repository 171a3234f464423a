using DnsSync.Shared.Records;

namespace DnsSync.Api.Records;

/// <summary>
/// Record intent: create, update, delete (mark absent), retry, list, get. Writes rows the worker reconciles;
/// never calls a DNS provider.
/// </summary>
internal static class RecordEndpoints
{
    private const int DefaultTtl = 120;

    public static RouteGroupBuilder MapRecordEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/dns/records").WithTags("Records").RequireAuthorization();
        group.MapPost("/create", CreateAsync).WithName("CreateRecord");
        group.MapPost("/update", UpdateAsync).WithName("UpdateRecord");
        group.MapPost("/delete", DeleteAsync).WithName("DeleteRecords");
        group.MapPost("/retry", RetryAsync).WithName("RetryRecord");
        group.MapGet("/", ListAsync).WithName("ListRecords");
        group.MapGet("/{id:long}", GetAsync).WithName("GetRecord");
        return group;
    }

    public static async Task<Results<Ok<Envelope<RecordDto>>, BadRequest<Envelope<ErrorData>>, Conflict<Envelope<ErrorData>>, JsonHttpResult<Envelope<ErrorData>>>>
        CreateAsync(CreateRecordRequest request, RecordQueries queries, CancellationToken cancellationToken)
    {
        var validation = new Validation();
        if (request.DomainId is not > 0) validation.Add("domainId", "domainId is required and must be a positive integer");
        if (!RecordRules.TryNormalizeType(request.Type, out var type))
            validation.Add("type", $"type must be one of {string.Join(", ", RecordRules.Types)}");
        var ttl = request.Ttl ?? DefaultTtl;
        if (!RecordRules.IsValidTtl(ttl))
            validation.Add("ttl", $"ttl must be {RecordRules.AutomaticTtl} (automatic) or {RecordRules.MinTtl} to {RecordRules.MaxTtl} (got {ttl})");
        var proxied = request.Proxied ?? false;
        var typeKnown = RecordRules.Types.Contains(type);
        if (proxied && typeKnown && !RecordRules.IsProxiable(type))
            validation.Add("proxied", $"proxied is only allowed for {string.Join(", ", RecordRules.ProxiableTypes)} records, not {type}");
        var value = "";
        if (typeKnown && !RecordRules.TryNormalizeContent(type, request.Value, out value, out var valueError))
            validation.Add("value", valueError);
        var ownerType = request.OwnerType?.Trim() ?? "";
        if (!RecordRules.OwnerTypes.Contains(ownerType))
            validation.Add("ownerType", $"ownerType must be one of {string.Join(", ", RecordRules.OwnerTypes)}");
        if (request.OwnerId is not >= 0) validation.Add("ownerId", "ownerId is required and must be an integer of at least 0");

        // The zone decides how the name normalises; whether the domain may take records is checked by the
        // create itself, in the same round trip as the insert.
        var name = "";
        string? zone = null;
        if (request.DomainId is > 0 and var domainId)
        {
            zone = await queries.FindZoneAsync(domainId, cancellationToken);
            if (zone is null)
                validation.Add("domainId", $"domain {domainId} does not exist");
            else if (!RecordRules.TryNormalizeName(zone, request.Name, out name, out var nameError))
                validation.Add("name", nameError);
        }
        else if (string.IsNullOrWhiteSpace(request.Name))
            validation.Add("name", "name is required: use '@' for the zone apex, or a label such as 'www'");

        if (!validation.IsValid) return ApiResults.Invalid(validation.Errors);

        var outcome = await queries.CreateAsync(
            new NewRecord(request.DomainId!.Value, type, name, value, ttl, proxied, ownerType, request.OwnerId!.Value), zone!, cancellationToken);
        return outcome switch
        {
            CreateOutcome.Created created => ApiResults.Ok(created.Record),
            CreateOutcome.Existing existing => ApiResults.Ok(existing.Record),
            CreateOutcome.Conflict conflict => ApiResults.Conflict(conflict.Message, conflict.ConflictingId == 0 ? null : conflict.ConflictingId),
            CreateOutcome.DomainNotUsable => ApiResults.Invalid("domainId", await DomainProblemAsync(request.DomainId.Value, queries, cancellationToken)),
            _ => Busy(),
        };
    }

    /// <summary>Why a domain cannot take records, for the 400 (only read when a create was refused for it).</summary>
    private static async Task<string> DomainProblemAsync(long domainId, RecordQueries queries, CancellationToken cancellationToken)
    {
        var domain = await queries.FindDomainTargetAsync(domainId, cancellationToken);
        return domain switch
        {
            null => $"domain {domainId} does not exist",
            { Status: not "active" } => $"domain {domainId} ({domain.Domain}) is {domain.Status}: records can only be created in active domains",
            { BindingStatus: null } => $"domain {domainId} ({domain.Domain}) has no DNS provider: bind one with POST /api/v1/dns/providers/bind",
            { BindingStatus: not "active" } => $"the DNS provider binding of domain {domainId} ({domain.Domain}) is {domain.BindingStatus}",
            _ => $"the API key bound to domain {domainId} ({domain.Domain}) is {domain.KeyStatus ?? "missing"}",
        };
    }

    public static async Task<Results<Ok<Envelope<RecordDto>>, BadRequest<Envelope<ErrorData>>, NotFound<Envelope<ErrorData>>, Conflict<Envelope<ErrorData>>>>
        UpdateAsync(UpdateRecordRequest request, RecordQueries queries, CancellationToken cancellationToken)
    {
        var validation = new Validation();
        if (request.Id is not > 0) validation.Add("id", "id is required and must be a positive integer");
        if (request is { Value: null, Ttl: null, Proxied: null })
            validation.Add("value", "give at least one of value, ttl, proxied");
        if (request.Ttl is { } ttl && !RecordRules.IsValidTtl(ttl))
            validation.Add("ttl", $"ttl must be {RecordRules.AutomaticTtl} (automatic) or {RecordRules.MinTtl} to {RecordRules.MaxTtl} (got {ttl})");
        if (!validation.IsValid) return ApiResults.Invalid(validation.Errors);

        var id = request.Id!.Value;
        var current = await queries.GetAsync(id, cancellationToken);
        if (current is null) return ApiResults.NotFound($"record {id} does not exist");
        if (current.DesiredState != DesiredState.Present)
            return ApiResults.Conflict($"record {id} is being deleted (desired state absent): create a new record instead");

        string? value = null;
        if (request.Value is not null && !RecordRules.TryNormalizeContent(current.Type, request.Value, out value, out var valueError))
            validation.Add("value", valueError);
        if (request.Proxied == true && !RecordRules.IsProxiable(current.Type))
            validation.Add("proxied", $"proxied is only allowed for {string.Join(", ", RecordRules.ProxiableTypes)} records, not {current.Type}");
        if (!validation.IsValid) return ApiResults.Invalid(validation.Errors);

        // An update that changes nothing is answered with the record as it is: no version bump, no re-sync.
        if ((value is null || value == current.Value) && (request.Ttl is null || request.Ttl == current.Ttl)
            && (request.Proxied is null || request.Proxied == current.Proxied))
            return ApiResults.Ok(current);

        RecordDto? updated;
        try
        {
            updated = await queries.UpdateAsync(id, value, request.Ttl, request.Proxied, cancellationToken);
        }
        catch (MySqlException ex) when (ex.ErrorCode == MySqlErrorCode.DuplicateKeyEntry)
        {
            var clash = await queries.FindPresentIdAsync(current.DomainId, current.Type, current.Name, value!, cancellationToken);
            return ApiResults.Conflict(
                $"another present {current.Type} record '{current.Name}' already has the value '{Validation.Shorten(value!)}'"
                + (clash is null ? "" : $" (record {clash})"), clash);
        }
        if (updated is null) return ApiResults.NotFound($"record {id} does not exist");
        if (updated.DesiredState != DesiredState.Present)
            return ApiResults.Conflict($"record {id} is being deleted (desired state absent): create a new record instead");
        return ApiResults.Ok(updated);
    }

    public static async Task<Results<Ok<Envelope<AffectedCount>>, BadRequest<Envelope<ErrorData>>>>
        DeleteAsync(RecordIdsRequest request, RecordQueries queries, CancellationToken cancellationToken)
    {
        var validation = new Validation();
        var ids = validation.Ids(request.Ids);
        if (!validation.IsValid) return ApiResults.Invalid(validation.Errors);
        return ApiResults.Ok(new AffectedCount(await queries.MarkAbsentAsync(ids, cancellationToken)));
    }

    public static async Task<Results<Ok<Envelope<RecordDto>>, BadRequest<Envelope<ErrorData>>, NotFound<Envelope<ErrorData>>, Conflict<Envelope<ErrorData>>>>
        RetryAsync(RecordIdRequest request, RecordQueries queries, CancellationToken cancellationToken)
    {
        if (request.Id is not { } id || id <= 0) return ApiResults.Invalid("id", "id is required and must be a positive integer");
        var (retried, record) = await queries.RetryAsync(id, cancellationToken);
        if (record is null) return ApiResults.NotFound($"record {id} does not exist");
        if (!retried) return ApiResults.Conflict($"record {id} is {record.Status}, not error: only records in error can be retried");
        return ApiResults.Ok(record);
    }

    public static async Task<Results<Ok<Envelope<PagedList<RecordDto>>>, BadRequest<Envelope<ErrorData>>>>
        ListAsync([AsParameters] RecordListQuery query, RecordQueries queries, CancellationToken cancellationToken)
    {
        var validation = new Validation();
        var domainId = validation.OptionalId("domainId", query.DomainId);
        var status = validation.OptionalOneOf("status", query.Status, RecordStatus.All);
        var desiredState = validation.OptionalOneOf("desiredState", query.DesiredState, DesiredState.All);
        var ownerType = validation.OptionalOneOf("ownerType", query.OwnerType, RecordRules.OwnerTypes);
        var ownerId = validation.OptionalNonNegative("ownerId", query.OwnerId);
        var type = validation.OptionalOneOf("type", query.Type, RecordRules.Types);
        var (page, pageSize) = validation.Paging(query.Page, query.PageSize);

        // With a domain the name filter normalises like a create does ("www.example.com." finds "www");
        // without one it is matched as given, lower-cased.
        string? name = null;
        if (!string.IsNullOrWhiteSpace(query.Name))
        {
            name = query.Name.Trim().ToLowerInvariant();
            if (domainId is not null && validation.IsValid && await queries.FindZoneAsync(domainId.Value, cancellationToken) is { } zone)
            {
                if (RecordRules.TryNormalizeName(zone, query.Name, out var normalized, out var nameError)) name = normalized;
                else validation.Add("name", nameError);
            }
        }
        if (!validation.IsValid) return ApiResults.Invalid(validation.Errors);

        var filter = new RecordFilter(domainId, status, ownerType, ownerId, type, name, desiredState, page, pageSize);
        return ApiResults.Ok(await queries.ListAsync(filter, cancellationToken));
    }

    public static async Task<Results<Ok<Envelope<RecordDto>>, NotFound<Envelope<ErrorData>>>>
        GetAsync(long id, RecordQueries queries, CancellationToken cancellationToken) =>
        await queries.GetAsync(id, cancellationToken) is { } record
            ? ApiResults.Ok(record)
            : ApiResults.NotFound($"record {id} does not exist");

    private static JsonHttpResult<Envelope<ErrorData>> Busy() => TypedResults.Json(
        new Envelope<ErrorData>(503, "another create for this name is still running: retry shortly", null),
        statusCode: StatusCodes.Status503ServiceUnavailable);
}
