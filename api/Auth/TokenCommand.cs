using System.Globalization;

namespace DnsSync.Api.Auth;

/// <summary><c>dns-sync-api token --sub NAME [--ttl 24h]</c>: prints a JWT signed with the configured secret.</summary>
internal static class TokenCommand
{
    public const string Usage = "usage: dns-sync-api token --sub <name> [--ttl <duration: 90s, 30m, 24h, 7d; default 24h>]";

    public static int Run(IReadOnlyList<string> args, IConfiguration configuration, TextWriter output, TextWriter error)
    {
        string? subject = null;
        var ttl = TimeSpan.FromHours(24);
        for (var i = 0; i < args.Count; i++)
        {
            var value = i + 1 < args.Count ? args[i + 1] : null;
            switch (args[i])
            {
                case "--sub" when !string.IsNullOrWhiteSpace(value):
                    subject = value;
                    i++;
                    break;
                case "--ttl" when TryParseDuration(value, out ttl):
                    i++;
                    break;
                default:
                    error.WriteLine(Usage);
                    return 1;
            }
        }
        if (subject is null)
        {
            error.WriteLine(Usage);
            return 1;
        }

        JwtSettings settings;
        try
        {
            settings = JwtSettings.FromConfiguration(configuration);
        }
        catch (InvalidOperationException ex)
        {
            error.WriteLine(ex.Message);
            return 1;
        }
        output.WriteLine(Mint(settings, subject, ttl, DateTime.UtcNow));
        return 0;
    }

    public static string Mint(JwtSettings settings, string subject, TimeSpan ttl, DateTime now)
    {
        var issuedAt = new DateTimeOffset(now, TimeSpan.Zero).ToUnixTimeSeconds();
        var claims = new Dictionary<string, object>
        {
            ["sub"] = subject,
            ["iat"] = issuedAt,
            ["nbf"] = issuedAt,
            ["exp"] = issuedAt + (long)ttl.TotalSeconds,
        };
        if (settings.Issuer is not null) claims["iss"] = settings.Issuer;
        if (settings.Audience is not null) claims["aud"] = settings.Audience;
        return Hs256.Sign(settings.Key, claims);
    }

    /// <summary>A positive number followed by s, m, h or d.</summary>
    public static bool TryParseDuration(string? text, out TimeSpan duration)
    {
        duration = default;
        if (text is not { Length: >= 2 }) return false;
        if (!int.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0) return false;
        TimeSpan? parsed = text[^1] switch
        {
            's' => TimeSpan.FromSeconds(n),
            'm' => TimeSpan.FromMinutes(n),
            'h' => TimeSpan.FromHours(n),
            'd' => TimeSpan.FromDays(n),
            _ => null,
        };
        if (parsed is null) return false;
        duration = parsed.Value;
        return true;
    }
}
