using System.Text;

namespace DnsSync.Api.Auth;

/// <summary>
/// HS256 settings shared by token validation and the <c>token</c> command. The key is the UTF-8 bytes of the
/// secret, as the CMDB's Go code signs with <c>[]byte(JWT_SECRET)</c>, so its tokens validate here.
/// </summary>
internal sealed record JwtSettings(string Secret, string? Issuer, string? Audience, string? PreviousSecret = null)
{
    /// <summary>Below this many bytes a secret is accepted (CMDB tokens must validate) but logged as weak.</summary>
    public const int RecommendedSecretBytes = 32;

    public byte[] Key => Encoding.UTF8.GetBytes(Secret);

    public bool IsWeak => Key.Length < RecommendedSecretBytes;

    /// <summary>Keys that validate a signature: the current secret, then the previous one during a rotation.</summary>
    public IReadOnlyList<byte[]> ValidationKeys =>
        PreviousSecret is null ? [Key] : [Key, Encoding.UTF8.GetBytes(PreviousSecret)];

    /// <summary>Reads <c>Auth:JwtSecret</c> (else <c>JWT_SECRET</c>), <c>Auth:PreviousJwtSecret</c>, <c>Auth:Issuer</c>, <c>Auth:Audience</c>; a missing secret stops start-up.</summary>
    public static JwtSettings FromConfiguration(IConfiguration configuration)
    {
        var secret = configuration["Auth:JwtSecret"];
        if (string.IsNullOrEmpty(secret)) secret = configuration["JWT_SECRET"];
        if (string.IsNullOrEmpty(secret))
            throw new InvalidOperationException("Auth__JwtSecret (or JWT_SECRET) is not set: give the HS256 signing secret, at least 32 bytes (openssl rand -base64 48).");
        return new JwtSettings(secret, Blank(configuration["Auth:Issuer"]), Blank(configuration["Auth:Audience"]),
            string.IsNullOrEmpty(configuration["Auth:PreviousJwtSecret"]) ? null : configuration["Auth:PreviousJwtSecret"]);
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
