using System.Security.Cryptography;
using System.Text;
using DnsSync.Api.Auth;

namespace DnsSync.Api.Ui.Session;

/// <summary>
/// One-time sign-in codes (table <c>ui_signin_codes</c>): minted by <c>dns-sync-api signin-link</c>, exchanged once for a
/// session. The table keeps only each code's SHA-256.
/// </summary>
internal sealed class SignInCodes(MySqlDataSource dataSource)
{
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromMinutes(15);

    /// <summary>A new code for <paramref name="subject"/> at <paramref name="level"/>; expired codes are cleared on the way.</summary>
    public async Task<string> CreateAsync(string subject, AccessLevel level, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        const string sql = """
            DELETE FROM ui_signin_codes WHERE expires_at < UTC_TIMESTAMP(6);
            INSERT INTO ui_signin_codes (code_hash, subject, scope, expires_at, created_at)
            VALUES (@Hash, @Subject, @Scope, UTC_TIMESTAMP(6) + INTERVAL @Seconds SECOND, UTC_TIMESTAMP(6));
            """;
        var code = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(sql,
            new { Hash = Hash(code), Subject = subject, Scope = Scopes.Name(level), Seconds = (long)lifetime.TotalSeconds },
            cancellationToken: cancellationToken));
        return code;
    }

    /// <summary>The subject and level of an unexpired code, which no longer works after this; null for an unknown, used or expired one.</summary>
    public async Task<(string Subject, AccessLevel Level)?> RedeemAsync(string? code, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(code) || code.Length > 100) return null;
        const string select = "SELECT subject, scope FROM ui_signin_codes WHERE code_hash = @Hash AND expires_at > UTC_TIMESTAMP(6)";
        // Whoever deletes the row redeems the code: of two concurrent redemptions only one deletes it.
        const string delete = "DELETE FROM ui_signin_codes WHERE code_hash = @Hash";
        var hash = Hash(code.Trim());
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var found = await connection.QuerySingleOrDefaultAsync<CodeRow>(
            new CommandDefinition(select, new { Hash = hash }, cancellationToken: cancellationToken));
        if (found is null || Scopes.Parse(found.Scope) is not { } level) return null;
        var deleted = await connection.ExecuteAsync(new CommandDefinition(delete, new { Hash = hash }, cancellationToken: CancellationToken.None));
        return deleted == 1 ? (found.Subject, level) : null;
    }

    private sealed class CodeRow
    {
        public string Subject { get; init; } = "";
        public string Scope { get; init; } = "";
    }

    private static byte[] Hash(string code) => SHA256.HashData(Encoding.UTF8.GetBytes(code));
}
