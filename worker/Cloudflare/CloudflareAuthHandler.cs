using System.Net.Http.Headers;

namespace DnsSync.Worker.Cloudflare;

/// <summary>Sets the auth headers of each request from the credential Refit put in its options.</summary>
internal sealed class CloudflareAuthHandler : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var credential = CredentialOf(request);
        request.Headers.Authorization = null;
        request.Headers.Remove("X-Auth-Email");
        request.Headers.Remove("X-Auth-Key");
        if (credential.Email is null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential.Secret);
        }
        else
        {
            request.Headers.TryAddWithoutValidation("X-Auth-Email", credential.Email);
            request.Headers.TryAddWithoutValidation("X-Auth-Key", credential.Secret);
        }
        return base.SendAsync(request, cancellationToken);
    }

    public static CloudflareCredential CredentialOf(HttpRequestMessage request) =>
        ((IDictionary<string, object?>)request.Options).TryGetValue(CloudflareCredential.RequestProperty, out var value)
        && value is CloudflareCredential credential
            ? credential
            : throw new InvalidOperationException("A Cloudflare request was sent without a credential.");
}
