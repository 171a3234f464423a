using System.Security.Cryptography;
using System.Text;

namespace DnsSync.CloudflareEmulator.Auth;

internal enum CredentialKind
{
    Token,
    GlobalKey,
}

/// <summary>What a request authenticated with. <see cref="Identity"/> is safe to log; <see cref="Secret"/> is not.</summary>
internal sealed record Credential(CredentialKind Kind, string Secret, string? Email)
{
    public string Identity => Kind == CredentialKind.Token ? TokenIdentity(Secret) : "key:" + Email;

    public static string TokenIdentity(string token) =>
        "token:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)))[..12];

    public override string ToString() => Identity;
}
