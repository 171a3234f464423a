using System.Data;
using System.Text.Json;
using Dapper;
using DnsSync.Shared.Records;
using DnsSync.Shared.ZoneImports;
using DnsSync.Worker.Cloudflare;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace DnsSync.Worker.ZoneImports;

/// <summary>
/// Performs zone import requests the api recorded: claims one under a lease, lists the key's zones (GET /zones, 50 per
/// page, through the credential's request budget) and, unless it is a dry run, creates a domain and an active binding
/// for each zone whose name is not yet a domain — in one transaction with the result, written only while the lease
/// is still this instance's. Existing domains are left as they are, so a repeated import creates nothing twice.
/// </summary>
internal sealed partial class ZoneImporter(
    MySqlDataSource dataSource, CloudflareClient cloudflare, CredentialStore credentials, IOptions<DnsWorkerOptions> options,
    ILogger<ZoneImporter> logger)
{
    /// <summary>Claims after which a request failing without an answer (timeouts, 5xx) is given up.</summary>
    internal const int MaxAttempts = 5;

    private static readonly JsonSerializerOptions ResultJson = new(JsonSerializerDefaults.Web);

    private string Instance => options.Value.InstanceId;

    /// <returns>True when a request was claimed (there may be more).</returns>
    public async Task<bool> RunOnceAsync(CancellationToken cancellationToken)
    {
        if (await ClaimAsync(cancellationToken) is not { } request) return false;
        try
        {
            if (request.KeyProblem is { } problem)
            {
                await FailAsync(request, problem);
                return true;
            }
            var credential = credentials.Get(request.ApiKeyId, request.ApiKeyToken!, request.ApiKeyAccount);
            var zones = await cloudflare.ListZonesAsync(credential, cancellationToken);
            await ApplyAsync(request, zones);
        }
        catch (CloudflareRateLimitedException ex)
        {
            await RequeueAsync(request, ex.RetryAfter, ex.Message, spent: false);
        }
        catch (Exception ex) when (ex is CloudflareTransportException || ex is CloudflareException { Error.HttpStatus: >= 500 })
        {
            if (request.AttemptCount >= MaxAttempts) await FailAsync(request, $"{ex.Message} (gave up after {MaxAttempts} attempts)");
            else await RequeueAsync(request, RetryPolicy.Backoff(request.AttemptCount, options.Value.RetryBaseSec, options.Value.RetryMaxSec), ex.Message, spent: true);
        }
        catch (CloudflareException ex)
        {
            await FailAsync(request, ex.Error.ToString());
        }
        catch (InvalidOperationException ex)
        {
            await FailAsync(request, ex.Message);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await RequeueAsync(request, TimeSpan.Zero, null, spent: false);
        }
        return true;
    }

    private async Task<ClaimedImport?> ClaimAsync(CancellationToken cancellationToken)
    {
        const string select = """
            SELECT id FROM zone_imports
            WHERE (status = 'requested' AND (next_retry_at IS NULL OR next_retry_at <= UTC_TIMESTAMP(6)))
               OR (status = 'running' AND locked_until <= UTC_TIMESTAMP(6))
            ORDER BY id
            LIMIT 1
            FOR UPDATE SKIP LOCKED
            """;
        const string mark = """
            UPDATE zone_imports
            SET status = 'running', locked_by = @Instance, locked_until = UTC_TIMESTAMP(6) + INTERVAL @LeaseSec SECOND,
                attempt_count = attempt_count + 1, updated_at = UTC_TIMESTAMP(6)
            WHERE id = @Id
            """;
        const string read = """
            SELECT z.id, z.api_key_id, z.dry_run, z.attempt_count,
                   k.id AS key_id, k.provider AS api_key_provider, k.status AS api_key_status, k.api_token AS api_key_token, k.account AS api_key_account
            FROM zone_imports z LEFT JOIN api_keys k ON k.id = z.api_key_id
            WHERE z.id = @Id AND z.locked_by = @Instance
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        long id;
        await using (var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken))
        {
            if (await connection.QuerySingleOrDefaultAsync<long?>(new CommandDefinition(select, transaction: transaction, cancellationToken: cancellationToken)) is not { } due)
                return null;
            id = due;
            await connection.ExecuteAsync(new CommandDefinition(mark, new { Id = id, Instance, options.Value.LeaseSec }, transaction));
            await transaction.CommitAsync(CancellationToken.None);
        }
        return await connection.QuerySingleOrDefaultAsync<ClaimedImport>(new CommandDefinition(read, new { Id = id, Instance }));
    }

    /// <summary>The zones' outcomes and, unless a dry run, the domains and bindings, in one transaction with the result.</summary>
    private async Task ApplyAsync(ClaimedImport request, IReadOnlyList<CloudflareZone> zones)
    {
        await using var connection = await dataSource.OpenConnectionAsync(CancellationToken.None);
        await using var transaction = await connection.BeginTransactionAsync(CancellationToken.None);
        var items = new List<ZoneImportItem>(zones.Count);
        var existing = await ExistingDomainsAsync(connection, transaction, zones);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var zone in zones)
        {
            if (!RecordRules.TryNormalizeDomain(zone.Name, out var name, out var invalid))
                items.Add(new ZoneImportItem(zone.Name, zone.Id, ZoneImportOutcome.Skipped, null, invalid));
            else if (!seen.Add(name))
                items.Add(new ZoneImportItem(name, zone.Id, ZoneImportOutcome.Skipped, null, "another zone listed has this name"));
            else if (existing.TryGetValue(name, out var domainId))
                items.Add(new ZoneImportItem(name, zone.Id, ZoneImportOutcome.Exists, domainId, null));
            else if (request.DryRun)
                items.Add(new ZoneImportItem(name, zone.Id, ZoneImportOutcome.WouldCreate, null, null));
            else
                items.Add(await CreateAsync(connection, transaction, name, zone.Id, request.ApiKeyId));
        }

        const string done = """
            UPDATE zone_imports
            SET status = 'done', zones_seen = @Seen, created_count = @Created, existing_count = @Existing, skipped_count = @Skipped,
                result = @Result, last_error = NULL, next_retry_at = NULL, locked_by = NULL, locked_until = NULL,
                finished_at = UTC_TIMESTAMP(6), updated_at = UTC_TIMESTAMP(6)
            WHERE id = @Id AND locked_by = @Instance
            """;
        var written = await connection.ExecuteAsync(new CommandDefinition(done, new
        {
            Seen = zones.Count,
            Created = items.Count(i => i.Outcome is ZoneImportOutcome.Created or ZoneImportOutcome.WouldCreate),
            Existing = items.Count(i => i.Outcome == ZoneImportOutcome.Exists),
            Skipped = items.Count(i => i.Outcome == ZoneImportOutcome.Skipped),
            Result = JsonSerializer.Serialize(items, ResultJson), request.Id, Instance,
        }, transaction));
        if (written == 0)
        {
            // Another instance took the request over after our lease ran out: it decides, we write nothing.
            await transaction.RollbackAsync(CancellationToken.None);
            LogLeaseLost(request.Id);
            return;
        }
        await transaction.CommitAsync(CancellationToken.None);
        LogDone(request.Id, request.DryRun, zones.Count, items.Count(i => i.Outcome is ZoneImportOutcome.Created or ZoneImportOutcome.WouldCreate));
    }

    private static async Task<Dictionary<string, long>> ExistingDomainsAsync(MySqlConnection connection, MySqlTransaction transaction, IReadOnlyList<CloudflareZone> zones)
    {
        const string sql = "SELECT id, domain FROM domains WHERE domain IN @Names";
        var names = zones.Select(z => RecordRules.TryNormalizeDomain(z.Name, out var name, out _) ? name : null).OfType<string>().Distinct().ToList();
        var existing = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var chunk in names.Chunk(1000))
            foreach (var (id, domain) in await connection.QueryAsync<(long, string)>(new CommandDefinition(sql, new { Names = chunk }, transaction)))
                existing[domain] = id;
        return existing;
    }

    /// <summary>A domain and its active binding; a domain created meanwhile by the api (duplicate name) is left alone.</summary>
    private static async Task<ZoneImportItem> CreateAsync(MySqlConnection connection, MySqlTransaction transaction, string name, string zoneId, long apiKeyId)
    {
        const string domain = """
            INSERT INTO domains (domain, status, created_at, updated_at) VALUES (@Name, 'active', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6));
            SELECT LAST_INSERT_ID();
            """;
        const string binding = """
            INSERT INTO domain_dns_providers (domain_id, provider, provider_zone_id, api_key_id, status, created_at, updated_at)
            VALUES (@DomainId, 'cloudflare', @ZoneId, @ApiKeyId, 'active', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
            """;
        long domainId;
        try
        {
            domainId = await connection.ExecuteScalarAsync<long>(new CommandDefinition(domain, new { Name = name }, transaction));
        }
        catch (MySqlException ex) when (ex.ErrorCode == MySqlErrorCode.DuplicateKeyEntry)
        {
            var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT id FROM domains WHERE domain = @Name", new { Name = name }, transaction));
            return new ZoneImportItem(name, zoneId, ZoneImportOutcome.Exists, id, null);
        }
        await connection.ExecuteAsync(new CommandDefinition(binding, new { DomainId = domainId, ZoneId = zoneId, ApiKeyId = apiKeyId }, transaction));
        return new ZoneImportItem(name, zoneId, ZoneImportOutcome.Created, domainId, null);
    }

    private async Task FailAsync(ClaimedImport request, string error)
    {
        const string sql = """
            UPDATE zone_imports
            SET status = 'error', last_error = @Error, next_retry_at = NULL, locked_by = NULL, locked_until = NULL,
                finished_at = UTC_TIMESTAMP(6), updated_at = UTC_TIMESTAMP(6)
            WHERE id = @Id AND locked_by = @Instance
            """;
        await using var connection = await dataSource.OpenConnectionAsync(CancellationToken.None);
        await connection.ExecuteAsync(new CommandDefinition(sql, new { Error = RetryPolicy.TruncateError(error), request.Id, Instance }));
        LogFailed(request.Id, error);
    }

    /// <summary>Back to requested after <paramref name="wait"/>; a wait that is not a failure (429, budget, shutdown) does not spend an attempt.</summary>
    private async Task RequeueAsync(ClaimedImport request, TimeSpan wait, string? reason, bool spent)
    {
        const string sql = """
            UPDATE zone_imports
            SET status = 'requested', last_error = COALESCE(@Error, last_error),
                next_retry_at = UTC_TIMESTAMP(6) + INTERVAL @WaitMicroseconds MICROSECOND,
                attempt_count = attempt_count - @Uncount, locked_by = NULL, locked_until = NULL, updated_at = UTC_TIMESTAMP(6)
            WHERE id = @Id AND locked_by = @Instance
            """;
        await using var connection = await dataSource.OpenConnectionAsync(CancellationToken.None);
        await connection.ExecuteAsync(new CommandDefinition(sql, new
        {
            Error = reason is null ? null : RetryPolicy.TruncateError(reason), WaitMicroseconds = (long)(wait.TotalMilliseconds * 1000),
            Uncount = spent ? 0 : 1, request.Id, Instance,
        }));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "zone import {ImportId} done (dry run {DryRun}): {Zones} zones seen, {Created} domains created or to create")]
    private partial void LogDone(long importId, bool dryRun, int zones, int created);

    [LoggerMessage(Level = LogLevel.Warning, Message = "zone import {ImportId} failed: {Error}")]
    private partial void LogFailed(long importId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "zone import {ImportId}: another instance took it over after our lease ran out; nothing written")]
    private partial void LogLeaseLost(long importId);

    private sealed class ClaimedImport
    {
        public long Id { get; init; }
        public long ApiKeyId { get; init; }
        public bool DryRun { get; init; }
        public int AttemptCount { get; init; }
        public long? KeyId { get; init; }
        public string? ApiKeyProvider { get; init; }
        public string? ApiKeyStatus { get; init; }
        public string? ApiKeyToken { get; init; }
        public string? ApiKeyAccount { get; init; }

        public string? KeyProblem => KeyId is null ? $"api key {ApiKeyId} no longer exists"
            : ApiKeyProvider != "cloudflare" ? $"api key {ApiKeyId} is not a Cloudflare key"
            : ApiKeyStatus != "active" ? $"api key {ApiKeyId} is {ApiKeyStatus}"
            : null;
    }
}
