using System.Net;
using Microsoft.Extensions.Options;
using Refit;

namespace DnsSync.Worker.Cloudflare;

/// <summary>
/// What the reconciler asks of Cloudflare, over the Refit interface: paginated lookups, and create, patch and
/// delete with Cloudflare's errors turned into <see cref="CloudflareException"/>s and 429s into
/// <see cref="CloudflareRateLimitedException"/>s. No call is retried here: a POST that timed out may have been
/// applied, and the row lifecycle (attempt_count ⇒ lookup first) is what makes a retry safe.
/// </summary>
internal sealed class CloudflareClient(ICloudflareApi api, IOptions<CloudflareOptions> options)
{
    private const int MaxPages = 10_000;
    private const int ZonePageSize = 5000;

    /// <summary>Cloudflare's largest per_page for the zone list.</summary>
    private const int ZoneListPageSize = 50;

    /// <summary>Every zone the credential can see: ⌈zones / 50⌉ requests.</summary>
    public async Task<List<CloudflareZone>> ListZonesAsync(CloudflareCredential credential, CancellationToken cancellationToken)
    {
        var all = new List<CloudflareZone>();
        for (var page = 1; page <= MaxPages; page++)
        {
            var query = new ZoneListQuery { Page = page, PerPage = ZoneListPageSize };
            var envelope = await SendAsync(() => api.ListZonesAsync(query, credential, cancellationToken), cancellationToken);
            var result = envelope.Result ?? [];
            all.AddRange(result);
            var morePages = envelope.ResultInfo?.TotalPages is { } totalPages ? page < totalPages : result.Count >= ZoneListPageSize;
            if (result.Count == 0 || !morePages) break;
        }
        return all;
    }

    /// <summary>Every record of <paramref name="type"/> (any type when null) named exactly <paramref name="fqdn"/>, all pages.</summary>
    public async Task<List<CloudflareDnsRecord>> ListAsync(
        CloudflareCredential credential, string zoneId, string? type, string fqdn, CancellationToken cancellationToken)
    {
        var all = new List<CloudflareDnsRecord>();
        var perPage = options.Value.ListPageSize;
        for (var page = 1; page <= MaxPages; page++)
        {
            var query = new RecordListQuery { Type = type, Name = fqdn, Page = page, PerPage = perPage };
            var envelope = await SendAsync(() => api.ListRecordsAsync(zoneId, query, credential, cancellationToken), cancellationToken);
            var result = envelope.Result ?? [];
            // Filter again here: a provider (or a fake of one) that ignores a filter must not make us adopt or
            // delete a record of another name or type that happens to share the content.
            all.AddRange(result.Where(r => Matches(r, type, fqdn)));
            var info = envelope.ResultInfo;
            var morePages = info?.TotalPages is { } totalPages
                ? page < totalPages
                : result.Count >= (info?.PerPage is > 0 ? info.PerPage : perPage);
            if (result.Count == 0 || !morePages) break;
        }
        return all;
    }

    /// <summary>Every record of the zone: ⌈records / 5,000⌉ requests (Cloudflare's largest per_page for DNS records).</summary>
    /// <param name="beforePage">Awaited before each page is requested (the audit renews its lease there, and counts requests).</param>
    public async Task<List<CloudflareDnsRecord>> ListZoneAsync(CloudflareCredential credential, string zoneId, CancellationToken cancellationToken,
        Func<Task>? beforePage = null)
    {
        var all = new List<CloudflareDnsRecord>();
        for (var page = 1; page <= MaxPages; page++)
        {
            if (beforePage is not null) await beforePage();
            var query = new RecordListQuery { Page = page, PerPage = ZonePageSize };
            var envelope = await SendAsync(() => api.ListRecordsAsync(zoneId, query, credential, cancellationToken), cancellationToken);
            var result = envelope.Result ?? [];
            all.AddRange(result);
            var morePages = envelope.ResultInfo?.TotalPages is { } totalPages ? page < totalPages : result.Count >= ZonePageSize;
            if (result.Count == 0 || !morePages) break;
        }
        return all;
    }

    /// <summary>One batch request; a refusal applies nothing (all or nothing), so it throws like any other call.</summary>
    public async Task<BatchResult> BatchAsync(CloudflareCredential credential, string zoneId, BatchBody body, CancellationToken cancellationToken) =>
        (await SendAsync(() => api.BatchAsync(zoneId, body, credential, cancellationToken), cancellationToken)).Result
        ?? throw MissingResult("batch");

    private static bool Matches(CloudflareDnsRecord record, string? type, string fqdn) =>
        (type is null || string.Equals(record.Type, type, StringComparison.OrdinalIgnoreCase))
        && string.Equals(record.Name.TrimEnd('.'), fqdn.TrimEnd('.'), StringComparison.OrdinalIgnoreCase);

    public async Task<CloudflareDnsRecord> CreateAsync(
        CloudflareCredential credential, string zoneId, RecordBody body, CancellationToken cancellationToken) =>
        (await SendAsync(() => api.CreateRecordAsync(zoneId, body, credential, cancellationToken), cancellationToken)).Result
        ?? throw MissingResult("create");

    public async Task<CloudflareDnsRecord> PatchAsync(
        CloudflareCredential credential, string zoneId, string recordId, RecordBody body, CancellationToken cancellationToken) =>
        (await SendAsync(() => api.PatchRecordAsync(zoneId, recordId, body, credential, cancellationToken), cancellationToken)).Result
        ?? throw MissingResult("patch");

    /// <summary>Deletes a record; one that does not exist (404/81044) counts as deleted.</summary>
    public async Task DeleteAsync(CloudflareCredential credential, string zoneId, string recordId, CancellationToken cancellationToken)
    {
        try
        {
            await SendAsync(() => api.DeleteRecordAsync(zoneId, recordId, credential, cancellationToken), cancellationToken);
        }
        catch (CloudflareException ex) when (ex.Error.IsNotFound)
        {
        }
    }

    private async Task<CloudflareEnvelope<T>> SendAsync<T>(
        Func<Task<IApiResponse<CloudflareEnvelope<T>>>> call, CancellationToken cancellationToken)
    {
        IApiResponse<CloudflareEnvelope<T>> response;
        try
        {
            response = await call();
        }
        catch (Exception ex) when (ex is not CloudflareRateLimitedException && Find<CloudflareRateLimitedException>(ex) is null
                                   && (ex is HttpRequestException or OperationCanceledException or ApiRequestException))
        {
            throw Transport(ex, cancellationToken);
        }
        catch (Exception ex) when (ex is not CloudflareRateLimitedException && Find<CloudflareRateLimitedException>(ex) is { } limited)
        {
            throw limited;
        }

        using (response)
        {
            if (response.HasRequestError(out var requestError))
            {
                if (Find<CloudflareRateLimitedException>(requestError) is { } limited) throw limited;
                throw Transport(requestError, cancellationToken);
            }
            var status = (int)(response.StatusCode ?? 0);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                throw new CloudflareRateLimitedException(RetryAfterHeader.Read(response.Headers?.RetryAfter));
            }
            if (!response.IsSuccessStatusCode)
                throw new CloudflareException(CloudflareError.Parse(status, (response.Error as ApiException)?.Content));
            if (response.Content is not { Success: true } envelope)
            {
                throw new CloudflareException(response.Content is { } failed
                    ? CloudflareError.From(status, failed.Errors)
                    : new CloudflareError(status, null, "unreadable response body", []));
            }
            return envelope;
        }
    }

    /// <summary>No answer. Only the innermost cause is kept: Refit's exceptions hold the request, headers included.</summary>
    private Exception Transport(Exception ex, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested) return new OperationCanceledException(cancellationToken);
        // Nothing was sent: the budget could not be reserved (database unreachable), which the message says itself.
        if (Find<RequestBudgetUnavailableException>(ex) is { } budget) return new CloudflareTransportException(budget.Message, budget);
        if (Find<OperationCanceledException>(ex) is not null || Find<TimeoutException>(ex) is not null)
            return new CloudflareTransportException($"cloudflare timeout: no answer within {options.Value.TimeoutSec} s", ex.GetBaseException());
        var cause = Find<HttpRequestException>(ex)?.Message ?? ex.GetBaseException().Message;
        return new CloudflareTransportException($"cloudflare unreachable: {cause}", ex.GetBaseException());
    }

    private static T? Find<T>(Exception? ex) where T : Exception
    {
        for (; ex is not null; ex = ex.InnerException)
            if (ex is T match) return match;
        return null;
    }

    private static CloudflareException MissingResult(string operation) =>
        new(new CloudflareError(200, null, $"{operation} answered success without a record", []));
}
