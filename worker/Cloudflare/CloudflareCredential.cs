using System.Security.Cryptography;
using System.Text;

namespace DnsSync.Worker.Cloudflare;

/// <summary>
/// One api_keys row, decrypted: an API token (bearer) or, with an e-mail, a Global API Key.
/// <see cref="ToString"/> and <see cref="Identity"/> never reveal the secret.
/// </summary>
internal sealed class CloudflareCredential
{
    public const string RequestProperty = "dns-sync.credential";

    public CloudflareCredential(string secret, string? email)
    {
        Secret = secret;
        Email = string.IsNullOrWhiteSpace(email) ? null : email.Trim();
        Identity = Email is null
            ? "token:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)))[..12]
            : "key:" + Email;
    }

    public string Secret { get; }

    /// <summary>Set for a Global API Key (X-Auth-Email + X-Auth-Key); null for a bearer token.</summary>
    public string? Email { get; }

    /// <summary>What the rate limiter keys on and logs may show.</summary>
    public string Identity { get; }

    public override string ToString() => Identity;
}
