using System.Text.Json;
using DnsSync.CloudflareEmulator.Hosting;
using DnsSync.CloudflareEmulator.Zones;

namespace DnsSync.CloudflareEmulator.Records;

internal static class DnsRecordEndpoints
{
    public static RouteGroupBuilder MapDnsRecords(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/zones/{zoneId}/dns_records");
        group.MapGet("", List);
        group.MapPost("", CreateAsync);
        group.MapPost("/batch", BatchAsync);
        group.MapGet("/{recordId}", Get);
        group.MapPut("/{recordId}", OverwriteAsync);
        group.MapPatch("/{recordId}", PatchAsync);
        group.MapDelete("/{recordId}", Delete);
        return group;
    }

    private static IResult List(HttpContext http, string zoneId, EmulatorState state)
    {
        var error = ZoneGuard.Check(http, state, zoneId);
        if (error is not null) return Cf.Fail(error);

        var query = http.Request.Query;
        var (page, perPage, pagingError) = QueryParsing.Paging(query, defaultPerPage: 100, minPerPage: 5, maxPerPage: 5000);
        if (pagingError is not null) return Cf.Fail(pagingError);

        var (filter, filterError) = RecordFilter.Parse(query);
        if (filterError is not null) return Cf.Fail(filterError);

        var (ordered, orderError) = RecordFilter.Order(query, (state.Records(zoneId) ?? []).Where(filter!));
        if (orderError is not null) return Cf.Fail(orderError);

        var (items, info) = QueryParsing.Paginate(ordered!, page, perPage);
        return Cf.Ok(items, info);
    }

    private static IResult Get(HttpContext http, string zoneId, string recordId, EmulatorState state)
    {
        var error = Guard(http, state, zoneId, recordId);
        if (error is not null) return Cf.Fail(error);
        RequestContext.Touched(http, recordId);
        var record = state.Records(zoneId)?.FirstOrDefault(r => r.Id == recordId);
        return record is null ? Cf.Fail(Cf.RecordNotFound()) : Cf.Ok(record);
    }

    private static async Task<IResult> CreateAsync(HttpContext http, string zoneId, EmulatorState state)
    {
        var error = ZoneGuard.Check(http, state, zoneId);
        if (error is not null) return Cf.Fail(error);
        var (input, inputError) = await ReadRecordAsync(http);
        if (inputError is not null) return Cf.Fail(inputError);

        return Reply(http, state.Edit(zoneId, e => e.Create(input!)));
    }

    private static async Task<IResult> OverwriteAsync(HttpContext http, string zoneId, string recordId, EmulatorState state)
    {
        var error = Guard(http, state, zoneId, recordId);
        if (error is not null) return Cf.Fail(error);
        RequestContext.Touched(http, recordId);
        var (input, inputError) = await ReadRecordAsync(http);
        if (inputError is not null) return Cf.Fail(inputError);

        return Reply(http, state.Edit(zoneId, e => e.Overwrite(recordId, input!)), touched: true);
    }

    private static async Task<IResult> PatchAsync(HttpContext http, string zoneId, string recordId, EmulatorState state)
    {
        var error = Guard(http, state, zoneId, recordId);
        if (error is not null) return Cf.Fail(error);
        RequestContext.Touched(http, recordId);
        var (input, inputError) = await ReadRecordAsync(http);
        if (inputError is not null) return Cf.Fail(inputError);

        return Reply(http, state.Edit(zoneId, e => e.Patch(recordId, input!)), touched: true);
    }

    private static IResult Delete(HttpContext http, string zoneId, string recordId, EmulatorState state)
    {
        var error = Guard(http, state, zoneId, recordId);
        if (error is not null) return Cf.Fail(error);
        RequestContext.Touched(http, recordId);

        var (deleted, deleteError) = state.Edit(zoneId, e => e.Delete(recordId));
        return deleteError is not null ? Cf.Fail(deleteError) : Cf.Ok(new { id = deleted!.Id });
    }

    private static async Task<IResult> BatchAsync(HttpContext http, string zoneId, EmulatorState state, EmulatorOptions options)
    {
        var error = ZoneGuard.Check(http, state, zoneId);
        if (error is not null) return Cf.Fail(error);

        var (body, bodyError) = await ReadJsonAsync(http);
        if (bodyError is not null) return Cf.Fail(bodyError);
        if (body.ValueKind != JsonValueKind.Object) return Cf.Fail(Cf.MalformedJson());

        var lists = new Dictionary<string, List<RecordInput>>();
        foreach (var key in (string[])["deletes", "patches", "puts", "posts"])
        {
            var items = new List<RecordInput>();
            if (body.TryGetProperty(key, out var array) && array.ValueKind != JsonValueKind.Null)
            {
                if (array.ValueKind != JsonValueKind.Array) return Cf.Fail(Cf.MalformedJson());
                foreach (var element in array.EnumerateArray())
                {
                    var (input, inputError) = RecordInput.Parse(element);
                    if (inputError is not null) return Cf.Fail(inputError);
                    items.Add(input!);
                }
            }

            lists[key] = items;
        }

        var total = lists.Values.Sum(l => l.Count);
        if (total > options.BatchLimit) return Cf.Fail(Cf.BatchTooLarge(options.BatchLimit));

        foreach (var input in lists.Values.SelectMany(l => l))
        {
            if (input.Id is not null) RequestContext.Touched(http, input.Id);
        }

        var (result, batchError) = state.Edit(zoneId, editor =>
        {
            var results = new Dictionary<string, List<CloudflareRecord>>();
            foreach (var (key, inputs) in lists)
            {
                var done = new List<CloudflareRecord>();
                foreach (var input in inputs)
                {
                    if (key != "posts" && input.Id is null) return (null, Cf.RecordNotFound());
                    var (record, opError) = key switch
                    {
                        "deletes" => editor.Delete(input.Id!),
                        "patches" => editor.Patch(input.Id!, input),
                        "puts" => editor.Overwrite(input.Id!, input),
                        _ => editor.Create(input),
                    };
                    if (opError is not null) return (null, opError);
                    done.Add(record!);
                }

                results[key] = done;
            }

            return (results, (CfError?)null);
        });

        if (batchError is not null) return Cf.Fail(batchError);
        foreach (var record in result!["posts"]) RequestContext.Touched(http, record.Id);
        RequestContext.CreatedByPosts(http, result["posts"].Select(r => r.Id).ToList());
        return Cf.Ok(result);
    }

    private static IResult Reply(HttpContext http, (CloudflareRecord? Record, CfError? Error) outcome, bool touched = false)
    {
        if (outcome.Error is not null) return Cf.Fail(outcome.Error);
        if (!touched) RequestContext.Touched(http, outcome.Record!.Id);
        return Cf.Ok(outcome.Record);
    }

    private static CfError? Guard(HttpContext http, EmulatorState state, string zoneId, string recordId) =>
        ZoneGuard.Check(http, state, zoneId) ??
        (ZoneGuard.IsIdentifier(recordId) ? null : Cf.CouldNotRoute(http.Request.Path));

    private static async Task<(RecordInput? Input, CfError? Error)> ReadRecordAsync(HttpContext http)
    {
        var (body, error) = await ReadJsonAsync(http);
        return error is not null ? (null, error) : RecordInput.Parse(body);
    }

    private static async Task<(JsonElement Body, CfError? Error)> ReadJsonAsync(HttpContext http)
    {
        try
        {
            using var document = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
            return (document.RootElement.Clone(), null);
        }
        catch (JsonException)
        {
            return (default, Cf.MalformedJson());
        }
    }
}
