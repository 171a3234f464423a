using System.Globalization;
using DnsSync.Worker.Metrics;

namespace DnsSync.Worker.Cloudflare;

/// <summary>
/// Counts every provider request, reserves it in the credential's shared <see cref="RequestBudget"/> before it is
/// sent, and shares a 429's Retry-After with every worker.
/// </summary>
internal sealed class TokenRateLimitHandler(RequestBudget budget) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var credential = CloudflareAuthHandler.CredentialOf(request);
        await budget.ReserveAsync(credential.Identity, 1, cancellationToken);
        HttpResponseMessage response;
        try
        {
            response = await base.SendAsync(request, cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            WorkerMetrics.ProviderRequests.WithLabels(ex is OperationCanceledException ? "timeout" : "error").Inc();
            throw;
        }
        WorkerMetrics.ProviderRequests.WithLabels(((int)response.StatusCode).ToString(CultureInfo.InvariantCulture)).Inc();
        if ((int)response.StatusCode == 429)
        {
            WorkerMetrics.RateLimited.Inc();
            await budget.BlockAsync(credential.Identity, RetryAfterHeader.Read(response.Headers.RetryAfter), RequestBudget.EarlierRetryAfter, cancellationToken);
        }
        return response;
    }
}
