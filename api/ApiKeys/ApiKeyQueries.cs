using System.Security.Cryptography;
using DnsSync.Shared.Secrets;

namespace DnsSync.Api.ApiKeys;

internal sealed partial class ApiKeyQueries(MySqlDataSource dataSource, SecretProtector protector, ILogger<ApiKeyQueries> logger)
{
    private const string Projection = "id, name, provider, account, api_token, status, created_at, updated_at";

    public async Task<ApiKeyDto> CreateAsync(string name, string provider, string token, string? account, string status, CancellationToken cancellationToken)
    {
        const string sql = $"""
            INSERT INTO api_keys (name, provider, account, api_token, status, created_at, updated_at)
            VALUES (@Name, @Provider, @Account, @ApiToken, @Status, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6));
            SELECT {Projection} FROM api_keys WHERE id = LAST_INSERT_ID();
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = (await connection.QueryAsync<ApiKeyRow>(new CommandDefinition(sql, new
        {
            Name = name, Provider = provider, Account = account, ApiToken = protector.Protect(token), Status = status,
        }, cancellationToken: cancellationToken))).Single();
        return ToDto(row);
    }

    public async Task<PagedList<ApiKeyDto>> ListAsync(int page, int pageSize, CancellationToken cancellationToken)
    {
        const string sql = $"""
            SELECT COUNT(*) FROM api_keys;
            SELECT {Projection} FROM api_keys ORDER BY id DESC LIMIT @Take OFFSET @Skip;
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var grid = await connection.QueryMultipleAsync(new CommandDefinition(sql,
            new { Take = pageSize, Skip = (long)(page - 1) * pageSize }, cancellationToken: cancellationToken));
        var total = await grid.ReadSingleAsync<long>();
        var list = (await grid.ReadAsync<ApiKeyRow>()).Select(ToDto).ToList();
        return new PagedList<ApiKeyDto>(list, total, page, pageSize);
    }

    /// <summary>Deletes keys no binding uses; when any is used, deletes nothing and says which bindings use them.</summary>
    public async Task<(int Affected, IReadOnlyList<KeyUse> UsedBy)> DeleteAsync(long[] ids, CancellationToken cancellationToken)
    {
        const string delete = "DELETE FROM api_keys WHERE id IN @Ids";
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            // The foreign key from domain_dns_providers refuses the whole statement if any key is bound,
            // which also covers a binding made between a check and the delete.
            return (await connection.ExecuteAsync(new CommandDefinition(delete, new { Ids = ids }, cancellationToken: cancellationToken)), []);
        }
        catch (MySqlException ex) when (ex.ErrorCode is MySqlErrorCode.RowIsReferenced2 or MySqlErrorCode.RowIsReferenced)
        {
            const string uses = """
                SELECT p.api_key_id AS ApiKeyId, p.id AS BindingId, d.domain AS Domain
                FROM domain_dns_providers p JOIN domains d ON d.id = p.domain_id
                WHERE p.api_key_id IN @Ids
                ORDER BY p.api_key_id, p.id
                """;
            var usedBy = (await connection.QueryAsync<KeyUse>(new CommandDefinition(uses, new { Ids = ids }, cancellationToken: cancellationToken))).ToList();
            return (0, usedBy);
        }
    }

    private ApiKeyDto ToDto(ApiKeyRow row) =>
        new(row.Id, row.Name, row.Provider, row.Account, Mask(row), row.Status, row.CreatedAt, row.UpdatedAt);

    private string Mask(ApiKeyRow row)
    {
        if (!SecretProtector.IsProtected(row.ApiToken))
        {
            // The seed's way: a token written by hand with SQL. It still works; re-saving it encrypts it.
            LogPlaintextToken(logger, row.Id);
            return SecretProtector.Mask(row.ApiToken);
        }
        try
        {
            return SecretProtector.Mask(protector.Unprotect(row.ApiToken));
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException)
        {
            LogUndecryptableToken(logger, row.Id);
            return SecretProtector.Mask("");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "API key {ApiKeyId} is stored in plaintext: re-create it through the API to encrypt it")]
    private static partial void LogPlaintextToken(ILogger logger, long apiKeyId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "API key {ApiKeyId} cannot be decrypted with the configured Secrets__Key")]
    private static partial void LogUndecryptableToken(ILogger logger, long apiKeyId);

    internal sealed record KeyUse(long ApiKeyId, long BindingId, string Domain);

    private sealed class ApiKeyRow
    {
        public long Id { get; init; }
        public string Name { get; init; } = "";
        public string Provider { get; init; } = "";
        public string? Account { get; init; }
        public string ApiToken { get; init; } = "";
        public string Status { get; init; } = "";
        public DateTime CreatedAt { get; init; }
        public DateTime UpdatedAt { get; init; }
    }
}
