using DnsSync.Api.Ui.Components;
using DnsSync.Api.Ui.Session;
using Microsoft.Extensions.FileProviders;

namespace DnsSync.Api.Ui;

/// <summary>
/// The status page under /ui: static server-rendered Razor components, plain HTML forms with antiforgery tokens, one
/// small script for live refresh. Everything it serves is in this assembly; nothing is fetched from elsewhere.
/// </summary>
internal static class UiSetup
{
    /// <summary>Scripts, styles and forms only from this origin; no inline script, no framing.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; "
        + "frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

    public static IServiceCollection AddUi(this IServiceCollection services, IConfiguration configuration)
    {
        var secure = UiAuth.SecurePolicy(configuration);
        services.AddUiAuth(secure);
        services.AddCookieKeyRing();
        services.AddAntiforgery(options =>
        {
            options.Cookie.Name = "dns-sync-ui-csrf";
            options.Cookie.Path = UiAuth.PathBase;
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.SecurePolicy = secure;
        });
        services.AddRazorComponents();
        services.AddSingleton<SignInCodes>();
        services.AddSingleton(new UiCookies(secure));
        return services;
    }

    /// <summary>Security headers on every /ui answer, and the embedded assets under /ui/assets (before routing).</summary>
    public static WebApplication UseUiAssets(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            if (context.Request.Path.StartsWithSegments(UiAuth.PathBase))
            {
                var headers = context.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                if (!context.Request.Path.StartsWithSegments(UiAuth.PathBase + "/assets")) headers.CacheControl = "no-store";
            }
            return next(context);
        });
        app.UseStaticFiles(new StaticFileOptions
        {
            RequestPath = UiAuth.PathBase + "/assets",
            FileProvider = new EmbeddedFileProvider(typeof(UiSetup).Assembly, "DnsSync.Api.Ui.Assets"),
            // Revalidated on every load (cheap: ETag), so a new build's script and styles are never stale.
            OnPrepareResponse = file => file.Context.Response.Headers.CacheControl = "no-cache",
        });
        return app;
    }

    public static WebApplication MapUi(this WebApplication app)
    {
        app.MapUiEndpoints();
        app.MapRazorComponents<App>().RequireAuthorization(UiAuth.ReadPolicy);
        return app;
    }
}
