using DnsSync.CloudflareEmulator.Hosting;

namespace DnsSync.CloudflareEmulator.Zones;

internal static class ZoneEndpoints
{
    private static readonly string[] NameServers = ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"];

    public static RouteGroupBuilder MapZones(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/zones");
        group.MapGet("", ListZones);
        group.MapGet("/{zoneId}", GetZone);
        return group;
    }

    private static IResult ListZones(HttpContext http, EmulatorState state)
    {
        var (page, perPage, error) = QueryParsing.Paging(http.Request.Query, defaultPerPage: 20, minPerPage: 5, maxPerPage: 50);
        if (error is not null) return Cf.Fail(error);

        IEnumerable<ZoneInfo> zones = state.ZonesFor(RequestContext.GetCredential(http));
        var name = http.Request.Query["name"].ToString();
        if (name.Length > 0)
        {
            var wanted = EmulatorState.NormaliseZoneName(name);
            zones = zones.Where(z => z.Name == wanted);
        }

        var (items, info) = QueryParsing.Paginate(zones.ToList(), page, perPage);
        return Cf.Ok(items.Select(ToJson).ToList(), info);
    }

    private static IResult GetZone(HttpContext http, string zoneId, EmulatorState state)
    {
        var error = ZoneGuard.Check(http, state, zoneId);
        return error is not null ? Cf.Fail(error) : Cf.Ok(ToJson(state.FindZone(zoneId)!));
    }

    private static object ToJson(ZoneInfo zone) => new
    {
        id = zone.Id,
        name = zone.Name,
        status = "active",
        paused = false,
        type = "full",
        development_mode = 0,
        name_servers = NameServers,
        created_on = zone.CreatedOn.UtcDateTime.ToString(MicrosecondTimestampConverter.Format, System.Globalization.CultureInfo.InvariantCulture),
        modified_on = zone.CreatedOn.UtcDateTime.ToString(MicrosecondTimestampConverter.Format, System.Globalization.CultureInfo.InvariantCulture),
    };
}
