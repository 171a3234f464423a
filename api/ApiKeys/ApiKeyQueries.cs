using DnsSync.Shared.Secrets;

namespace DnsSync.Api.ApiKeys;

internal sealed partial class ApiKeyQueries(MySqlDataSource dataSource, SecretProtector protector, ILogger<ApiKeyQueries> logger)
{
    private const string Projection = "id, name, provider, account, api_token, api_token_hint, status, created_at, updated_at";

    /// <summary>
    /// Inserts the key, then stores its token encrypted and bound to the new row's id (known only after the insert), in
    /// one transaction; the mask is stored beside it so lists never decrypt.
    /// </summary>
    public async Task<ApiKeyDto> CreateAsync(NewApiKey key, CancellationToken cancellationToken)
    {
        const string insert = """
            INSERT INTO api_keys (name, provider, account, api_token, api_token_hint, status, created_at, updated_at)
            VALUES (@Name, @Provider, @Account, '', @Hint, @Status, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6));
            SELECT LAST_INSERT_ID();
            """;
        const string seal = $"""
            UPDATE api_keys SET api_token = @ApiToken WHERE id = @Id;
            SELECT {Projection} FROM api_keys WHERE id = @Id;
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(insert, new
        {
            key.Name, key.Provider, key.Account, Hint = SecretProtector.Mask(key.Token), key.Status,
        }, transaction, cancellationToken: cancellationToken));
        var row = await connection.QuerySingleAsync<ApiKeyRow>(new CommandDefinition(seal,
            new { Id = id, ApiToken = protector.Protect(key.Token, id) }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return ToDto(row);
    }

    public async Task<PagedList<ApiKeyDto>> ListAsync(Paging paging, CancellationToken cancellationToken)
    {
        const string sql = $"""
            SELECT COUNT(*) FROM api_keys;
            SELECT {Projection} FROM api_keys WHERE @After IS NULL OR id < @After ORDER BY id DESC LIMIT @Take OFFSET @Skip;
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var grid = await connection.QueryMultipleAsync(new CommandDefinition(sql,
            new { paging.After, Take = paging.PageSize + 1, paging.Skip }, cancellationToken: cancellationToken));
        var total = await grid.ReadSingleAsync<long>();
        var rows = (await grid.ReadAsync<ApiKeyRow>()).Select(ToDto).ToList();
        var list = rows.Take(paging.PageSize).ToList();
        return new PagedList<ApiKeyDto>(list, total, paging.Page, paging.PageSize)
        {
            NextCursor = list.Count == 0 ? null : Paging.CursorAfter(list[^1].Id, rows.Count > paging.PageSize),
        };
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

    /// <summary>The stored hint; a plaintext token written by hand is masked as it is; an encrypted one without a hint shows as <c>****</c>.</summary>
    private string Mask(ApiKeyRow row)
    {
        if (row.ApiTokenHint is { } hint) return hint;
        if (SecretProtector.IsProtected(row.ApiToken)) return SecretProtector.Mask("");
        // The seed's way: a token written by hand with SQL. It still works; re-saving it encrypts it.
        LogPlaintextToken(logger, row.Id);
        return SecretProtector.Mask(row.ApiToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "API key {ApiKeyId} is stored in plaintext: run reencrypt-tokens or re-create it through the API to encrypt it")]
    private static partial void LogPlaintextToken(ILogger logger, long apiKeyId);

    internal sealed record KeyUse(long ApiKeyId, long BindingId, string Domain);

    private sealed class ApiKeyRow
    {
        public long Id { get; init; }
        public string Name { get; init; } = "";
        public string Provider { get; init; } = "";
        public string? Account { get; init; }
        public string ApiToken { get; init; } = "";
        public string? ApiTokenHint { get; init; }
        public string Status { get; init; } = "";
        public DateTime CreatedAt { get; init; }
        public DateTime UpdatedAt { get; init; }
    }
}
