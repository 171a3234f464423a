using System.Text.RegularExpressions;
using DnsSync.CloudflareEmulator.Hosting;
using Microsoft.Extensions.Primitives;

namespace DnsSync.CloudflareEmulator.Auth;

/// <summary>
/// Authenticates every Cloudflare route (bearer token or Global API Key) and applies the per-credential rate limit.
/// Zone-level permission is checked by the handlers, which know the zone.
/// </summary>
internal sealed partial class CloudflareAuthFilter(EmulatorState state, RateLimiter limiter) : IEndpointFilter
{
    public const string TokenVerifyPath = "/user/tokens/verify";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var (credential, error) = Authenticate(http.Request.Headers);
        if (error is not null) return Cf.Fail(error);

        RequestContext.SetCredential(http, credential!);
        if (!state.IsKnown(credential!))
        {
            var isVerify = http.Request.Path.StartsWithSegments(TokenVerifyPath) && credential!.Kind == CredentialKind.Token;
            return Cf.Fail(isVerify ? Cf.InvalidApiToken() : Cf.AuthenticationError());
        }

        if (!limiter.TryAcquire(credential!.Identity, out var retryAfter))
        {
            http.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Cf.Fail(Cf.RateLimited());
        }

        return await next(context);
    }

    internal static (Credential? Credential, CfError? Error) Authenticate(IHeaderDictionary headers)
    {
        if (headers.TryGetValue("Authorization", out var authorization))
        {
            var match = BearerRegex().Match(Single(authorization) ?? "");
            return match.Success
                ? (new Credential(CredentialKind.Token, match.Groups[1].Value, null), null)
                : (null, Cf.MissingOrMalformedAuthorization());
        }

        var email = headers.TryGetValue("X-Auth-Email", out var e) ? Single(e) : null;
        var key = headers.TryGetValue("X-Auth-Key", out var k) ? Single(k) : null;
        if (key is null || !KeyRegex().IsMatch(key)) return (null, Cf.MalformedAuthKey());
        if (email is null || !EmailRegex().IsMatch(email)) return (null, Cf.MalformedAuthEmail());
        return (new Credential(CredentialKind.GlobalKey, key, email), null);
    }

    private static string? Single(StringValues values) => values.Count == 1 ? values[0] : null;

    [GeneratedRegex(@"^Bearer ([A-Za-z0-9\-._~+/]+=*)$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex BearerRegex();

    [GeneratedRegex("^[A-Za-z0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex KeyRegex();

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+$", RegexOptions.CultureInvariant)]
    private static partial Regex EmailRegex();
}
