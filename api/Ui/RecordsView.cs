using DnsSync.Api.Domains;
using DnsSync.Api.Records;
using Microsoft.AspNetCore.WebUtilities;

namespace DnsSync.Api.Ui;

/// <summary>The filters and page of a domain's record list, as they stand in the URL (raw, so the api's own checks name a bad one).</summary>
public sealed record RecordsFilter(string? Type, string? Name, string? Status, string? Page, string? PageSize)
{
    public const int DefaultPageSize = 50;

    public bool Any => !string.IsNullOrWhiteSpace(Type) || !string.IsNullOrWhiteSpace(Name) || !string.IsNullOrWhiteSpace(Status);

    /// <summary>The query string of these filters, at <paramref name="page"/> when given.</summary>
    public string Query(int? page = null)
    {
        var query = new Dictionary<string, string?>();
        void Add(string key, string? value)
        {
            if (!string.IsNullOrWhiteSpace(value)) query[key] = value.Trim();
        }
        Add("type", Type);
        Add("name", Name);
        Add("status", Status);
        Add("page", page is { } p ? (p > 1 ? p.ToString(System.Globalization.CultureInfo.InvariantCulture) : null) : Page);
        Add("pageSize", PageSize);
        return QueryHelpers.AddQueryString("", query);
    }

    internal RecordListQuery ToApiQuery(long domainId) => new(
        domainId.ToString(System.Globalization.CultureInfo.InvariantCulture), Status, null, null, Type, Name, null, Page,
        string.IsNullOrWhiteSpace(PageSize) ? DefaultPageSize.ToString(System.Globalization.CultureInfo.InvariantCulture) : PageSize, null);
}

/// <summary>What the records page and its live fragment show.</summary>
public sealed record RecordsModel(long DomainId, DomainDto? Domain, RecordsFilter Filter, ApiAnswer<PagedList<RecordDto>> List, DateTime Now)
{
    public string PageUrl(int? page = null) => $"/ui/domains/{DomainId}{Filter.Query(page)}";

    public string RowsUrl => $"/ui/domains/{DomainId}/rows{Filter.Query()}";

    public int PageCount => List.Data is { } list ? (int)Math.Max(1, (list.Total + list.PageSize - 1) / list.PageSize) : 1;

    /// <summary>Reads the domain and a page of its records through the api's handlers.</summary>
    internal static async Task<RecordsModel> LoadAsync(long domainId, RecordsFilter filter, DomainQueries domains, RecordQueries records, CancellationToken cancellationToken)
    {
        var domain = ApiAnswer.From<DomainDto>(await DomainEndpoints.GetAsync(domainId, domains, cancellationToken));
        var list = ApiAnswer.From<PagedList<RecordDto>>(await RecordEndpoints.ListAsync(filter.ToApiQuery(domainId), records, cancellationToken));
        return new RecordsModel(domainId, domain.Data, filter, list, DateTime.UtcNow);
    }
}

/// <summary>What the overview and its live fragment show.</summary>
public sealed record OverviewModel(ApiAnswer<PagedList<DomainDto>> Domains, IReadOnlyDictionary<long, DomainRecordCounts> Counts, int Page, DateTime Now)
{
    public const int PageSize = 50;

    public DomainRecordCounts CountsOf(long domainId) => Counts.TryGetValue(domainId, out var counts) ? counts : DomainRecordCounts.None;

    public int PageCount => Domains.Data is { } list ? (int)Math.Max(1, (list.Total + PageSize - 1) / PageSize) : 1;

    internal static async Task<OverviewModel> LoadAsync(int page, DomainQueries domains, CancellationToken cancellationToken)
    {
        var query = new DomainListQuery(page.ToString(System.Globalization.CultureInfo.InvariantCulture), PageSize.ToString(System.Globalization.CultureInfo.InvariantCulture), null);
        var list = ApiAnswer.From<PagedList<DomainDto>>(await DomainEndpoints.ListAsync(query, domains, cancellationToken));
        var counts = list.Data is { } found
            ? await domains.RecordCountsAsync(found.List.Select(d => d.Id).ToList(), cancellationToken)
            : new Dictionary<long, DomainRecordCounts>();
        return new OverviewModel(list, counts, page, DateTime.UtcNow);
    }
}
