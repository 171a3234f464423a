using System.Security.Claims;
using DnsSync.Api.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace DnsSync.Api.Ui.Session;

/// <summary>
/// The status page's session: an ASP.NET Core cookie (HttpOnly, SameSite=Strict, Secure on HTTPS, path /ui) carrying the
/// subject and the one scope the signed-in token granted. Only the /ui policies read it; the /api/v1 policies
/// authenticate with the bearer scheme alone, so a cookie never authorises an api call (no CSRF there).
/// </summary>
internal static class UiAuth
{
    public const string Scheme = "ui-session";
    public const string ReadPolicy = "ui:read";
    public const string WritePolicy = "ui:write";
    public const string CookieName = "dns-sync-ui";
    public const string PathBase = "/ui";

    /// <summary>A session never outlives this, nor the token it was made from.</summary>
    public static readonly TimeSpan MaxSessionLifetime = TimeSpan.FromHours(12);

    public static IServiceCollection AddUiAuth(this IServiceCollection services, CookieSecurePolicy secure)
    {
        services.AddAuthentication().AddCookie(Scheme, options =>
        {
            options.Cookie.Name = CookieName;
            options.Cookie.Path = PathBase;
            options.Cookie.HttpOnly = true;
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.SecurePolicy = secure;
            options.LoginPath = PathBase + "/signin";
            options.AccessDeniedPath = PathBase + "/forbidden";
            options.ReturnUrlParameter = "returnUrl";
            options.SlidingExpiration = false;
            options.ExpireTimeSpan = MaxSessionLifetime;
        });
        services.AddAuthorizationBuilder()
            .AddPolicy(ReadPolicy, policy => policy.AddAuthenticationSchemes(Scheme).RequireAuthenticatedUser().AddRequirements(new ScopeRequirement(AccessLevel.Read)))
            .AddPolicy(WritePolicy, policy => policy.AddAuthenticationSchemes(Scheme).RequireAuthenticatedUser().AddRequirements(new ScopeRequirement(AccessLevel.Write)));
        return services;
    }

    /// <summary>Starts a session for <paramref name="subject"/> at <paramref name="level"/>, ending at <paramref name="expires"/> at the latest.</summary>
    public static Task SignInAsync(HttpContext context, string subject, AccessLevel level, DateTimeOffset expires)
    {
        var identity = new ClaimsIdentity([new Claim("sub", subject), new Claim("scope", Scopes.Name(level))], Scheme, "sub", null);
        var now = DateTimeOffset.UtcNow;
        var properties = new AuthenticationProperties
        {
            IssuedUtc = now,
            ExpiresUtc = expires < now + MaxSessionLifetime ? expires : now + MaxSessionLifetime,
            IsPersistent = false,
            AllowRefresh = false,
        };
        return context.SignInAsync(Scheme, new ClaimsPrincipal(identity), properties);
    }

    /// <summary>
    /// <c>Ui:SecureCookies</c>: <c>true</c> marks the page's cookies Secure whatever the request says, for an api behind a
    /// proxy that ends TLS and forwards plain HTTP; otherwise they are Secure exactly when the request came over HTTPS.
    /// </summary>
    public static CookieSecurePolicy SecurePolicy(IConfiguration configuration) => configuration["Ui:SecureCookies"]?.Trim() switch
    {
        null or "" or "false" or "False" => CookieSecurePolicy.SameAsRequest,
        "true" or "True" => CookieSecurePolicy.Always,
        var other => throw new InvalidOperationException($"Ui__SecureCookies must be true or false (got '{other}')."),
    };

    /// <summary>True for the policies of the status page, whose refusals redirect instead of answering the api's envelope.</summary>
    public static bool IsUiPolicy(Microsoft.AspNetCore.Authorization.AuthorizationPolicy policy) => policy.AuthenticationSchemes.Contains(Scheme);
}

/// <summary>Who is signed in to the status page and what the session may do.</summary>
internal sealed record UiUser(string Subject, AccessLevel Level)
{
    public bool CanWrite => Level >= AccessLevel.Write;

    public string Scope => Scopes.Name(Level);

    public static UiUser Of(HttpContext context) => new(
        Scopes.Subject(context.User) ?? "?",
        // The session stores the level it was granted; nothing defaults here.
        context.User.Identity?.AuthenticationType == UiAuth.Scheme ? Scopes.Of(context.User, AccessLevel.None) : AccessLevel.None);
}

/// <summary>How the status page's cookies are marked Secure (<c>Ui:SecureCookies</c>), for the cookies it writes itself.</summary>
internal sealed record UiCookies(CookieSecurePolicy Secure);
