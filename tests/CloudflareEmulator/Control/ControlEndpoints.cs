using DnsSync.CloudflareEmulator.Faults;
using DnsSync.CloudflareEmulator.Hosting;
using DnsSync.CloudflareEmulator.RequestLog;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DnsSync.CloudflareEmulator.Control;

internal sealed record AddZoneRequest(string? Name, string? Token);

internal sealed record AddZoneResponse(string Id, string Name);

internal sealed record AddGlobalKeyRequest(string? Email, string? Key, string? ZoneId);

internal sealed record ControlError(string Error);

/// <summary>The emulator's own routes (no auth), used by tests, <c>make run</c> and outside checks.</summary>
internal static class ControlEndpoints
{
    public static RouteGroupBuilder MapEmulatorControl(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup(RequestContext.ControlPrefix);
        group.MapPost("/zones", AddZone);
        group.MapPost("/global-keys", AddGlobalKey);
        group.MapGet("/zones/{zoneId}/records", GetRecords);
        group.MapGet("/requests", (RequestLogStore log) => TypedResults.Ok(log.Snapshot()));
        group.MapPost("/reset", (EmulatorController controller) =>
        {
            controller.Reset();
            return TypedResults.NoContent();
        });
        group.MapGet("/faults", (FaultInjector faults) => TypedResults.Ok(faults.Rules));
        group.MapPost("/faults", AddFault);
        group.MapDelete("/faults", (FaultInjector faults) =>
        {
            faults.Clear();
            return TypedResults.NoContent();
        });
        return group;
    }

    private static Results<Ok<AddZoneResponse>, BadRequest<ControlError>> AddZone(AddZoneRequest request, EmulatorState state)
    {
        if (string.IsNullOrWhiteSpace(request.Name) || string.IsNullOrWhiteSpace(request.Token))
        {
            return TypedResults.BadRequest(new ControlError("name and token are required."));
        }

        var zone = state.AddZone(request.Name, request.Token);
        return TypedResults.Ok(new AddZoneResponse(zone.Id, zone.Name));
    }

    private static Results<NoContent, BadRequest<ControlError>> AddGlobalKey(AddGlobalKeyRequest request, EmulatorState state)
    {
        try
        {
            state.AddGlobalKey(request.Email ?? "", request.Key ?? "", request.ZoneId ?? "");
            return TypedResults.NoContent();
        }
        catch (ArgumentException ex)
        {
            return TypedResults.BadRequest(new ControlError(ex.Message));
        }
    }

    private static IResult GetRecords(string zoneId, EmulatorState state) =>
        state.Records(zoneId) is { } records
            ? Results.Json(records, Cf.Json)
            : TypedResults.NotFound(new ControlError($"Unknown zone '{zoneId}'."));

    private static Results<Ok<FaultRule>, BadRequest<ControlError>> AddFault(FaultRule rule, FaultInjector faults)
    {
        try
        {
            faults.Add(rule);
            return TypedResults.Ok(rule);
        }
        catch (ArgumentException ex)
        {
            return TypedResults.BadRequest(new ControlError(ex.Message));
        }
    }
}
