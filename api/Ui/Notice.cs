namespace DnsSync.Api.Ui;

/// <summary>
/// A one-line message carried across the redirect after an action (post/redirect/get), in a short-lived cookie that
/// the next page reads and clears; no message travels in a URL.
/// </summary>
internal static class Notice
{
    private const string CookieName = "dns-sync-ui-notice";

    public static void Set(HttpContext context, string message) =>
        context.Response.Cookies.Append(CookieName, message, Options(context, TimeSpan.FromMinutes(1)));

    public static string? Take(HttpContext context)
    {
        if (!context.Request.Cookies.TryGetValue(CookieName, out var message)) return null;
        context.Response.Cookies.Delete(CookieName, Options(context, null));
        return message;
    }

    private static CookieOptions Options(HttpContext context, TimeSpan? maxAge) => new()
    {
        Path = Session.UiAuth.PathBase,
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        // Secure like the session cookie: always with Ui:SecureCookies, else when the request came over HTTPS.
        Secure = context.Request.IsHttps || context.RequestServices.GetRequiredService<Session.UiCookies>().Secure == CookieSecurePolicy.Always,
        MaxAge = maxAge,
        IsEssential = true,
    };
}
