using DnsSync.Shared.Secrets;

namespace DnsSync.Api.ApiKeys;

/// <summary>
/// <c>dns-sync-api reencrypt-tokens</c>: the middle step of a <c>Secrets__Key</c> rotation, and the migration of older rows.
/// Every stored provider token that is plaintext, in the unbound v1 form, or encrypted under a key in
/// <c>Secrets__PreviousKeys</c> is rewritten under <c>Secrets__Key</c>, bound to its row; a row without a stored mask gets one.
/// Safe to run twice and while the api and worker serve (each row is swapped only if unchanged).
/// </summary>
internal static class ReencryptTokensCommand
{
    public static async Task<int> RunAsync(IConfiguration configuration, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        SecretProtector protector;
        string connectionString;
        try
        {
            protector = SecretProtector.FromBase64(configuration["Secrets:Key"], configuration["Secrets:PreviousKeys"]);
            connectionString = configuration.GetConnectionString("Default") is { Length: > 0 } cs ? cs
                : throw new InvalidOperationException("ConnectionStrings__Default is not set.");
        }
        catch (InvalidOperationException ex)
        {
            error.WriteLine($"error: {ex.Message}");
            return 1;
        }

        const string select = "SELECT id, api_token, api_token_hint FROM api_keys ORDER BY id";
        const string swap = """
            UPDATE api_keys SET api_token = @New, api_token_hint = @Hint, updated_at = UTC_TIMESTAMP(6)
            WHERE id = @Id AND api_token = @Old
            """;
        int rewritten = 0, current = 0;
        var failed = new List<long>();
        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long Id, string ApiToken, string? Hint)>(new CommandDefinition(select, cancellationToken: cancellationToken));
        foreach (var (id, stored, hint) in rows)
        {
            try
            {
                var plaintext = protector.Unprotect(stored, id, out var needsReprotect);
                if (!needsReprotect && hint is not null)
                {
                    current++;
                    continue;
                }
                rewritten += await connection.ExecuteAsync(new CommandDefinition(swap,
                    new { Id = id, Old = stored, New = protector.Protect(plaintext, id), Hint = SecretProtector.Mask(plaintext) },
                    cancellationToken: cancellationToken));
            }
            catch (System.Security.Cryptography.CryptographicException)
            {
                failed.Add(id);
            }
        }

        output.WriteLine($"re-encrypted {rewritten}, already bound under the current key {current}, undecryptable {failed.Count}");
        if (failed.Count == 0) return 0;
        error.WriteLine($"error: no configured key decrypts the tokens of api key(s) {string.Join(", ", failed)}: " +
            "add the key they were written with to Secrets__PreviousKeys, or re-enter those tokens through the API.");
        return 1;
    }
}
