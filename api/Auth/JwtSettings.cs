using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace DnsSync.Api.Auth;

/// <summary>
/// HS256 settings shared by token validation and the <c>token</c> command. The key is the UTF-8 bytes of the
/// secret, as the CMDB's Go code signs with <c>[]byte(JWT_SECRET)</c>, so its tokens validate here.
/// </summary>
internal sealed record JwtSettings(
    string Secret, string? Issuer, string? Audience, string? PreviousSecret = null, bool AllowShortSecret = false,
    TimeSpan? MaxTokenLifetime = null, AccessLevel DefaultLevel = AccessLevel.Read)
{
    /// <summary>HS256 keys shorter than this are refused unless <c>Auth:AllowShortSecret</c> is set.</summary>
    public const int MinSecretBytes = 32;

    public static readonly TimeSpan DefaultMaxTokenLifetime = TimeSpan.FromDays(30);

    public TimeSpan MaxLifetime => MaxTokenLifetime ?? DefaultMaxTokenLifetime;

    public bool IsShort => Encoding.UTF8.GetByteCount(Secret) < MinSecretBytes;

    /// <summary>The signing key of the current secret.</summary>
    public SymmetricSecurityKey SigningKey => KeyOf(Secret);

    /// <summary>Keys that validate a signature: the current secret, then the previous one during a rotation.</summary>
    public IReadOnlyList<SecurityKey> ValidationKeys =>
        PreviousSecret is null ? [KeyOf(Secret)] : [KeyOf(Secret), KeyOf(PreviousSecret)];

    /// <summary>
    /// HMAC pads a key shorter than its 64-byte block with zeros, so a short secret zero-padded to 32 bytes signs and
    /// verifies exactly what the short secret does; the padding only satisfies the library's 256-bit minimum.
    /// </summary>
    public static SymmetricSecurityKey KeyOf(string secret)
    {
        var key = Encoding.UTF8.GetBytes(secret);
        if (key.Length < MinSecretBytes) Array.Resize(ref key, MinSecretBytes);
        return new SymmetricSecurityKey(key);
    }

    /// <summary>
    /// Reads <c>Auth:JwtSecret</c> (else <c>JWT_SECRET</c>), <c>Auth:PreviousJwtSecret</c>, <c>Auth:Issuer</c>,
    /// <c>Auth:Audience</c>, <c>Auth:AllowShortSecret</c>, <c>Auth:MaxTokenLifetime</c>, <c>Auth:DefaultScope</c>; a missing or
    /// wrong setting stops start-up with its name.
    /// </summary>
    public static JwtSettings FromConfiguration(IConfiguration configuration)
    {
        var secret = configuration["Auth:JwtSecret"];
        if (string.IsNullOrEmpty(secret)) secret = configuration["JWT_SECRET"];
        if (string.IsNullOrEmpty(secret))
            throw new InvalidOperationException($"Auth__JwtSecret (or JWT_SECRET) is not set: give the HS256 signing secret, at least {MinSecretBytes} bytes (openssl rand -base64 48).");
        var previous = string.IsNullOrEmpty(configuration["Auth:PreviousJwtSecret"]) ? null : configuration["Auth:PreviousJwtSecret"];

        var allowShortText = Blank(configuration["Auth:AllowShortSecret"]);
        var allowShort = false;
        if (allowShortText is not null && !bool.TryParse(allowShortText, out allowShort))
            throw new InvalidOperationException($"Auth__AllowShortSecret must be true or false (got '{allowShortText}').");
        foreach (var (name, value) in new[] { ("Auth__JwtSecret", secret), ("Auth__PreviousJwtSecret", previous) })
        {
            if (value is null || allowShort) continue;
            var bytes = Encoding.UTF8.GetByteCount(value);
            if (bytes < MinSecretBytes)
                throw new InvalidOperationException(
                    $"{name} is {bytes} bytes, shorter than {MinSecretBytes}: use a longer secret (openssl rand -base64 48), or set "
                    + "Auth__AllowShortSecret=true to accept it for tokens signed with the CMDB's JWT_SECRET (a short secret is easier to guess).");
        }

        TimeSpan? maxLifetime = null;
        if (Blank(configuration["Auth:MaxTokenLifetime"]) is { } lifetimeText)
        {
            if (!TokenCommand.TryParseDuration(lifetimeText, out var parsed)
                && !(TimeSpan.TryParse(lifetimeText, System.Globalization.CultureInfo.InvariantCulture, out parsed) && parsed > TimeSpan.Zero))
                throw new InvalidOperationException($"Auth__MaxTokenLifetime must be a duration such as 30d, 12h or 7.00:00:00 (got '{lifetimeText}').");
            maxLifetime = parsed;
        }

        var defaultScope = Blank(configuration["Auth:DefaultScope"]) ?? Scopes.Read;
        var defaultLevel = defaultScope == "none" ? AccessLevel.None : Scopes.Parse(defaultScope)
            ?? throw new InvalidOperationException($"Auth__DefaultScope must be one of {string.Join(", ", Scopes.All)} or none (got '{defaultScope}').");

        return new JwtSettings(secret, Blank(configuration["Auth:Issuer"]), Blank(configuration["Auth:Audience"]), previous,
            allowShort, maxLifetime, defaultLevel);
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
