using System.Globalization;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DnsSync.Api.Auth;

/// <summary><c>dns-sync-api token --sub NAME [--scope dns:write] [--ttl 24h]</c>: prints a JWT signed with the configured secret.</summary>
internal static class TokenCommand
{
    public const string Usage = "usage: dns-sync-api token --sub <name> [--scope <dns:read|dns:write|dns:admin>, space separated or repeated] "
        + "[--ttl <duration: 90s, 30m, 24h, 7d; default 24h>]";

    public static int Run(IReadOnlyList<string> args, IConfiguration configuration, TextWriter output, TextWriter error)
    {
        string? subject = null;
        var scopes = new List<string>();
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
                case "--scope" when value?.Split(' ', StringSplitOptions.RemoveEmptyEntries) is { Length: > 0 } named
                                    && named.All(s => Scopes.Parse(s) is not null):
                    scopes.AddRange(named);
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
        if (ttl > settings.MaxLifetime)
        {
            error.WriteLine($"--ttl {FormatDuration(ttl)} is longer than Auth__MaxTokenLifetime ({FormatDuration(settings.MaxLifetime)}): the api would refuse the token.");
            return 1;
        }
        output.WriteLine(Mint(settings, subject, ttl, DateTime.UtcNow, scopes.Count == 0 ? null : string.Join(' ', scopes.Distinct())));
        return 0;
    }

    /// <param name="scope">The <c>scope</c> claim (space separated); null leaves it out, so <c>Auth:DefaultScope</c> applies.</param>
    public static string Mint(JwtSettings settings, string subject, TimeSpan ttl, DateTime now, string? scope = null)
    {
        var claims = new Dictionary<string, object> { ["sub"] = subject };
        if (scope is not null) claims["scope"] = scope;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + ttl,
            Issuer = settings.Issuer,
            Audience = settings.Audience,
            SigningCredentials = new SigningCredentials(settings.SigningKey, SecurityAlgorithms.HmacSha256),
        });
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

    public static string FormatDuration(TimeSpan duration) =>
        duration.TotalDays >= 1 && duration.TotalDays % 1 == 0 ? $"{duration.TotalDays:0}d"
        : duration.TotalHours % 1 == 0 ? $"{duration.TotalHours:0}h"
        : duration.TotalMinutes % 1 == 0 ? $"{duration.TotalMinutes:0}m"
        : $"{duration.TotalSeconds:0}s";
}
