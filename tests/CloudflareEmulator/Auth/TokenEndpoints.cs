using System.Security.Cryptography;
using System.Text;
using DnsSync.CloudflareEmulator.Hosting;

namespace DnsSync.CloudflareEmulator.Auth;

internal static class TokenEndpoints
{
    public static RouteHandlerBuilder MapTokenVerify(this IEndpointRouteBuilder routes) =>
        routes.MapGet(CloudflareAuthFilter.TokenVerifyPath, Verify);

    private static IResult Verify(HttpContext http)
    {
        var credential = RequestContext.GetCredential(http);
        if (credential.Kind != CredentialKind.Token) return Cf.Fail(Cf.MissingOrMalformedAuthorization());
        var id = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(credential.Secret)))[..32];
        return Cf.Ok(new { id, status = "active" }, messages: [new CfMessage(10000, "This API Token is valid and active")]);
    }
}
