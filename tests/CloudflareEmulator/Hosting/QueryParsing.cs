using System.Globalization;

namespace DnsSync.CloudflareEmulator.Hosting;

internal static class QueryParsing
{
    /// <summary>Reads page/per_page. Cloudflare clamps per_page into its range; a non-number or page &lt; 1 is an error.</summary>
    public static (int Page, int PerPage, CfError? Error) Paging(IQueryCollection query, int defaultPerPage, int minPerPage, int maxPerPage)
    {
        var page = 1;
        var perPage = defaultPerPage;
        if (query.TryGetValue("page", out var p) && (!int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out page) || page < 1))
        {
            return (0, 0, Cf.DnsValidation("page must be a positive integer."));
        }

        if (query.TryGetValue("per_page", out var pp))
        {
            if (!int.TryParse(pp, NumberStyles.None, CultureInfo.InvariantCulture, out perPage))
            {
                return (0, 0, Cf.DnsValidation("per_page must be a positive integer."));
            }

            perPage = Math.Clamp(perPage, minPerPage, maxPerPage);
        }

        return (page, perPage, null);
    }

    public static (List<T> Items, ResultInfo Info) Paginate<T>(IReadOnlyList<T> all, int page, int perPage)
    {
        var items = all.Skip((int)Math.Min(int.MaxValue, (long)(page - 1) * perPage)).Take(perPage).ToList();
        var totalPages = (all.Count + perPage - 1) / perPage;
        return (items, new ResultInfo(page, perPage, items.Count, all.Count, totalPages));
    }
}
