using System.Collections.Concurrent;
using System.Security.Cryptography;
using DnsSync.Shared.Secrets;

namespace DnsSync.Worker.Cloudflare;

/// <summary>Turns an api_keys row into a credential, decrypting its token; a hand-written plaintext token works with a warning.</summary>
internal sealed partial class CredentialStore(SecretProtector protector, ILogger<CredentialStore> logger)
{
    private readonly ConcurrentDictionary<long, bool> warnedPlaintext = new();

    /// <exception cref="InvalidOperationException">The stored token cannot be decrypted with Secrets__Key.</exception>
    public CloudflareCredential Get(long apiKeyId, string storedToken, string? account)
    {
        if (!SecretProtector.IsProtected(storedToken) && warnedPlaintext.TryAdd(apiKeyId, true))
            LogPlaintextToken(apiKeyId);
        string secret;
        try
        {
            // The api writes tokens bound to their row (v2); rows written before that (v1) or by hand (plaintext) still read.
            secret = protector.Unprotect(storedToken, apiKeyId);
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException)
        {
            throw new InvalidOperationException($"api key {apiKeyId}: its token cannot be decrypted with Secrets__Key (re-save the key, or restore the key it was encrypted with)");
        }
        return new CloudflareCredential(secret.Trim(), account);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "api key {ApiKeyId} holds a plaintext token (written by hand?); it is used as is, re-save it through the API to encrypt it")]
    private partial void LogPlaintextToken(long apiKeyId);
}
