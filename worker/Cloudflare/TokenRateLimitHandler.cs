namespace DnsSync.Worker.Cloudflare;

/// <summary>Counts every provider request and applies the per-credential budget and Retry-After block.</summary>
internal sealed class TokenRateLimitHandler(TokenRateLimiter limiter) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var credential = CloudflareAuthHandler.CredentialOf(request);
        limiter.Acquire(credential.Identity);
        HttpResponseMessage response;
        try
        {
            response = await base.SendAsync(request, cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            Metrics.WorkerMetrics.ProviderRequests.WithLabels(ex is OperationCanceledException ? "timeout" : "error").Inc();
            throw;
        }
        Metrics.WorkerMetrics.ProviderRequests.WithLabels(((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
        if ((int)response.StatusCode == 429)
        {
            Metrics.WorkerMetrics.RateLimited.Inc();
            limiter.Block(credential.Identity, RetryAfterHeader.Read(response.Headers.RetryAfter));
        }
        return response;
    }
}
