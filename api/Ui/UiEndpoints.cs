using DnsSync.Api.Domains;
using DnsSync.Api.Records;
using DnsSync.Api.Ui.Components;
using DnsSync.Api.Ui.Session;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;

namespace DnsSync.Api.Ui;

/// <summary>The status page's routes that are not pages: the live fragments live.js swaps in, and sign-out.</summary>
internal static class UiEndpoints
{
    public static RouteGroupBuilder MapUiEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup(UiAuth.PathBase).RequireAuthorization(UiAuth.ReadPolicy).ExcludeFromDescription();
        group.MapGet("/domains/{domainId:long}/rows", RecordRowsAsync);
        group.MapGet("/overview/rows", OverviewRowsAsync);
        group.MapPost("/signout", SignOutAsync);
        return group;
    }

    public static async Task<RazorComponentResult<RecordsFragment>> RecordRowsAsync(long domainId, string? type, string? name, string? status,
        string? page, string? pageSize, HttpContext context, DomainQueries domains, RecordQueries records, CancellationToken cancellationToken)
    {
        var model = await RecordsModel.LoadAsync(domainId, new RecordsFilter(type, name, status, page, pageSize), domains, records, cancellationToken);
        return new RazorComponentResult<RecordsFragment>(new { Model = model, UiUser.Of(context).CanWrite });
    }

    public static async Task<RazorComponentResult<OverviewFragment>> OverviewRowsAsync(int? page, DomainQueries domains, CancellationToken cancellationToken) =>
        new(new { Model = await OverviewModel.LoadAsync(page is > 1 ? page.Value : 1, domains, cancellationToken) });

    /// <summary>A form post from the page's header; the antiforgery token keeps another site from signing people out.</summary>
    public static async Task<Results<RedirectHttpResult, BadRequest>> SignOutAsync(HttpContext context, IAntiforgery antiforgery)
    {
        if (!await antiforgery.IsRequestValidAsync(context)) return TypedResults.BadRequest();
        await context.SignOutAsync(UiAuth.Scheme);
        return TypedResults.Redirect(UiAuth.PathBase + "/signin");
    }
}
