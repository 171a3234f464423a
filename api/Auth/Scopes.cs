using System.Security.Claims;

namespace DnsSync.Api.Auth;

/// <summary>What a token may do; each level includes the ones below it.</summary>
internal enum AccessLevel
{
    None = 0,
    Read = 1,
    Write = 2,
    Admin = 3,
}

/// <summary>
/// The three scopes and how a token's claims map to them: the <c>scope</c> claim (space separated, or one claim per
/// scope), the CMDB's <c>role: admin</c>, and <c>Auth:DefaultScope</c> for a token that grants neither.
/// </summary>
internal static class Scopes
{
    public const string Read = "dns:read";
    public const string Write = "dns:write";
    public const string Admin = "dns:admin";
    public static readonly IReadOnlyList<string> All = [Read, Write, Admin];

    public static string Name(AccessLevel level) => level switch
    {
        AccessLevel.Read => Read,
        AccessLevel.Write => Write,
        AccessLevel.Admin => Admin,
        _ => "none",
    };

    public static AccessLevel? Parse(string? scope) => scope switch
    {
        Read => AccessLevel.Read,
        Write => AccessLevel.Write,
        Admin => AccessLevel.Admin,
        _ => null,
    };

    /// <summary>The highest level the token grants, or <paramref name="defaultLevel"/> when it names no dns scope and is no CMDB admin.</summary>
    public static AccessLevel Of(ClaimsPrincipal user, AccessLevel defaultLevel)
    {
        var granted = user.FindAll("scope")
            .SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(Parse)
            .Append(user.FindAll("role").Any(r => r.Value == "admin") ? AccessLevel.Admin : null)
            .Max();
        return granted ?? defaultLevel;
    }

    /// <summary>Who a request is, for rate limits and logs: the token's subject (or the CMDB's username / user_id).</summary>
    public static string? Subject(ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true
            ? user.FindFirst("sub")?.Value ?? user.FindFirst("username")?.Value ?? user.FindFirst("user_id")?.Value
            : null;
}
