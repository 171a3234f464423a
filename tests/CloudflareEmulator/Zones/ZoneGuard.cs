using System.Text.RegularExpressions;
using DnsSync.CloudflareEmulator.Hosting;

namespace DnsSync.CloudflareEmulator.Zones;

internal static partial class ZoneGuard
{
    /// <summary>Cloudflare identifiers are 32 lower-case hex characters; anything else cannot be routed (7003).</summary>
    public static bool IsIdentifier(string id) => IdRegex().IsMatch(id);

    public static CfError? Check(HttpContext http, EmulatorState state, string zoneId)
    {
        if (!IsIdentifier(zoneId)) return Cf.CouldNotRoute(http.Request.Path);
        return state.CanAccess(RequestContext.GetCredential(http), zoneId) ? null : Cf.AuthenticationError();
    }

    [GeneratedRegex("^[0-9a-f]{32}$", RegexOptions.CultureInvariant)]
    private static partial Regex IdRegex();
}
