using DnsSync.Api.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;

namespace DnsSync.Api.Ui.Session;

/// <summary>Exchanges a pasted api token for a status page session, judged exactly as the api judges it.</summary>
internal static class TokenSignIn
{
    /// <returns>null when signed in, else what was wrong with the token (never the token itself).</returns>
    public static async Task<string?> SignInAsync(HttpContext context, string? token, JwtSettings settings)
    {
        token = token?.Trim();
        if (token is { Length: > 7 } && token.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) token = token[7..].Trim();
        if (string.IsNullOrEmpty(token)) return "paste an api token (a JWT such as the one make run prints)";

        var result = await ValidateAsync(context, token);
        if (!result.Succeeded) return AuthSetup.DescribeFailure(result.Failure);
        var principal = result.Principal!;
        var level = Scopes.Of(principal, settings.DefaultLevel);
        if (level == AccessLevel.None) return "this token grants no dns scope (dns:read, dns:write or dns:admin)";
        var expires = long.TryParse(principal.FindFirst("exp")?.Value, out var exp) ? DateTimeOffset.FromUnixTimeSeconds(exp) : DateTimeOffset.UtcNow;
        await UiAuth.SignInAsync(context, Scopes.Subject(principal) ?? "token", level, expires);
        return null;
    }

    /// <summary>
    /// Runs the api's own JwtBearer handler (its validation parameters and events, the lifetime cap included) on a
    /// request that carries nothing but this token: the handler of the current request has already authenticated it
    /// and keeps that result.
    /// </summary>
    private static async Task<AuthenticateResult> ValidateAsync(HttpContext context, string token)
    {
        await using var scope = context.RequestServices.GetRequiredService<IServiceScopeFactory>().CreateAsyncScope();
        var probe = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        probe.Request.Headers.Authorization = "Bearer " + token;
        return await probe.AuthenticateAsync(JwtBearerDefaults.AuthenticationScheme);
    }
}
