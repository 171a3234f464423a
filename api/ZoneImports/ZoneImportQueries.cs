using System.Text.Json;
using DnsSync.Shared.ZoneImports;

namespace DnsSync.Api.ZoneImports;

internal sealed class ZoneImportQueries(MySqlDataSource dataSource)
{
    private const string Projection = """
        id, api_key_id, dry_run, status, requested_by, zones_seen, created_count, existing_count, skipped_count, result,
        last_error, created_at, updated_at, finished_at
        """;

    private static readonly JsonSerializerOptions ResultJson = new(JsonSerializerDefaults.Web);

    /// <summary>Why the key cannot be imported from (unknown, inactive, not Cloudflare), or null.</summary>
    public async Task<string?> KeyProblemAsync(long apiKeyId, CancellationToken cancellationToken)
    {
        const string sql = "SELECT provider, status FROM api_keys WHERE id = @Id";
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var key = await connection.QuerySingleOrDefaultAsync<KeyRow>(new CommandDefinition(sql, new { Id = apiKeyId }, cancellationToken: cancellationToken));
        return key switch
        {
            null => $"API key {apiKeyId} does not exist",
            { Provider: not "cloudflare" } => $"API key {apiKeyId} is not a Cloudflare key",
            { Status: not "active" } => $"API key {apiKeyId} is {key.Status}: activate it first",
            _ => null,
        };
    }

    /// <summary>
    /// Records a request for the worker, or answers the unfinished one of the same key and kind: asking twice while
    /// one is queued or running does not queue a second.
    /// </summary>
    public async Task<ZoneImportDto> RequestAsync(long apiKeyId, bool dryRun, string? requestedBy, CancellationToken cancellationToken)
    {
        const string sql = $"""
            INSERT INTO zone_imports (api_key_id, dry_run, status, requested_by, created_at, updated_at)
            SELECT @ApiKeyId, @DryRun, 'requested', @RequestedBy, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)
            FROM (SELECT COUNT(*) AS unfinished FROM zone_imports
                  WHERE api_key_id = @ApiKeyId AND dry_run = @DryRun AND status IN ('requested', 'running')) queued
            WHERE queued.unfinished = 0;
            SELECT {Projection} FROM zone_imports
            WHERE api_key_id = @ApiKeyId AND dry_run = @DryRun
            ORDER BY status IN ('requested', 'running') DESC, id DESC
            LIMIT 1;
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleAsync<ZoneImportRow>(new CommandDefinition(sql, new
        {
            ApiKeyId = apiKeyId, DryRun = dryRun, RequestedBy = requestedBy is { Length: > 128 } ? requestedBy[..128] : requestedBy,
        }, cancellationToken: cancellationToken));
        return row.ToDto();
    }

    public async Task<ZoneImportDto?> GetAsync(long id, CancellationToken cancellationToken)
    {
        const string sql = $"SELECT {Projection} FROM zone_imports WHERE id = @Id";
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<ZoneImportRow>(new CommandDefinition(sql, new { Id = id }, cancellationToken: cancellationToken));
        return row?.ToDto();
    }

    private sealed class KeyRow
    {
        public string Provider { get; init; } = "";
        public string Status { get; init; } = "";
    }

    private sealed class ZoneImportRow
    {
        public long Id { get; init; }
        public long ApiKeyId { get; init; }
        public bool DryRun { get; init; }
        public string Status { get; init; } = "";
        public string? RequestedBy { get; init; }
        public int? ZonesSeen { get; init; }
        public int? CreatedCount { get; init; }
        public int? ExistingCount { get; init; }
        public int? SkippedCount { get; init; }
        public string? Result { get; init; }
        public string? LastError { get; init; }
        public DateTime CreatedAt { get; init; }
        public DateTime UpdatedAt { get; init; }
        public DateTime? FinishedAt { get; init; }

        public ZoneImportDto ToDto() => new(Id, ApiKeyId, DryRun, Status, RequestedBy, ZonesSeen, CreatedCount, ExistingCount, SkippedCount,
            Result is null ? null : JsonSerializer.Deserialize<List<ZoneImportItem>>(Result, ResultJson), LastError, CreatedAt, UpdatedAt, FinishedAt);
    }
}
