using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using DnsSync.Worker.Metrics;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace DnsSync.Worker.Cloudflare;

/// <summary>
/// Keeps each credential under Cloudflare's budget (Cloudflare:RequestsPerWindow per WindowSec, 1,200 per 5 minutes
/// by default) counted in the database, so every worker on it shares one budget, and, after a 429 any of them
/// received, lets none send for that credential until its Retry-After has passed. Time is the database's clock, so
/// workers whose clocks disagree still agree on the window.
/// </summary>
/// <remarks>
/// It never waits: a wait inside the HTTP pipeline would run into the request timeout and look like a provider
/// failure, and the row would hold its lease meanwhile. A refused request throws
/// <see cref="CloudflareRateLimitedException"/> at once with the time until budget frees; the row is deferred with
/// its retry_count unchanged.
/// </remarks>
internal sealed partial class RequestBudget(
    MySqlDataSource dataSource, IOptions<CloudflareOptions> options, TimeProvider time, ILogger<RequestBudget> logger)
{
    public const string EarlierRetryAfter = "Retry-After of an earlier 429 from cloudflare";

    /// <summary>Absorbs the difference between our reserving a request and Cloudflare's counting it (the request's latency).</summary>
    internal static readonly TimeSpan LatencyMargin = TimeSpan.FromSeconds(1);

    /// <summary>Room in provider_budget.credential.</summary>
    internal const int MaxKeyLength = 64;

    /// <summary>
    /// A refusal this worker already knows of is answered without a round trip while it lasts, but for no longer
    /// than this: the database stays the source of truth (an operator clearing a block takes effect within it).
    /// </summary>
    private static readonly TimeSpan MaxRemembered = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<string, Refusal> refusals = new(StringComparer.Ordinal);

    /// <summary>
    /// Records <paramref name="count"/> requests for <paramref name="identity"/> in the shared window, or throws
    /// <see cref="CloudflareRateLimitedException"/> when the credential is blocked by a Retry-After or the window has
    /// no room for them.
    /// </summary>
    /// <exception cref="RequestBudgetUnavailableException">The database did not answer: nothing may be sent.</exception>
    public async Task ReserveAsync(string identity, int count, CancellationToken cancellationToken)
    {
        var o = options.Value;
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, o.RequestsPerWindow);
        if (refusals.TryGetValue(identity, out var known) && known.Refuses(count, time) is { } wait)
            throw new CloudflareRateLimitedException(wait, known.Reason);

        try
        {
            await ReserveInDatabaseAsync(identity, count, o, cancellationToken);
        }
        catch (DbException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RequestBudgetUnavailableException(identity, ex);
        }
    }

    private async Task ReserveInDatabaseAsync(string identity, int count, CloudflareOptions o, CancellationToken cancellationToken)
    {
        // One statement locks the credential's row (creating it on first use), so reservations for a credential run
        // one at a time across all workers. ON DUPLICATE KEY UPDATE takes the exclusive lock at once; INSERT IGNORE
        // would take a shared one and two workers upgrading it for the FOR UPDATE would deadlock. READ COMMITTED:
        // the usage read, a statement after the lock is held, sees everything earlier holders committed.
        // Slots are epoch seconds; a slot counts while s ≥ now - window - 1: a request of slot s was sent before
        // s + 1 and may reach Cloudflare up to the latency margin (1 s) later, so it can still be inside Cloudflare's
        // window until s + window + 2.
        const string sql = """
            INSERT INTO provider_budget (credential, updated_at) VALUES (@Credential, UTC_TIMESTAMP(6))
                ON DUPLICATE KEY UPDATE updated_at = UTC_TIMESTAMP(6);
            SELECT TIMESTAMPDIFF(MICROSECOND, '1970-01-01', blocked_until) AS BlockedUntilMicros, block_reason AS BlockReason
            FROM provider_budget
            WHERE credential = @Credential
            FOR UPDATE;
            SELECT TIMESTAMPDIFF(MICROSECOND, '1970-01-01', UTC_TIMESTAMP(6)) AS NowMicros,
                   (SELECT CAST(COALESCE(SUM(used), 0) AS SIGNED) FROM provider_budget_usage
                    WHERE credential = @Credential AND slot >= UNIX_TIMESTAMP() - @Span) AS Used;
            """;
        var key = CredentialKey(identity);
        var span = o.WindowSec + (int)LatencyMargin.TotalSeconds;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        Block block;
        Usage usage;
        await using (var grid = await connection.QueryMultipleAsync(new CommandDefinition(
            sql, new { Credential = key, Span = span }, transaction, cancellationToken: cancellationToken)))
        {
            block = await grid.ReadSingleAsync<Block>();
            usage = await grid.ReadSingleAsync<Usage>();
        }

        if (block.BlockedUntilMicros is { } until && until > usage.NowMicros)
        {
            var reason = block.BlockReason ?? EarlierRetryAfter;
            Report(identity, usage.Used, until);
            throw Refuse(identity, TimeSpan.FromMicroseconds(until - usage.NowMicros), reason, minCount: 1);
        }
        if (usage.Used + count > o.RequestsPerWindow)
        {
            Report(identity, usage.Used, blockedUntilMicros: null);
            var wait = await UntilFreedAsync(connection, transaction, key, usage, usage.Used + count - o.RequestsPerWindow, span, cancellationToken);
            throw Refuse(identity, wait, $"waiting for the request budget of this API token ({o.RequestsPerWindow} requests per {o.WindowSec} s)", count);
        }

        // Old slots go as they leave the window, in the same transaction, so the table holds at most span + 1 rows
        // per credential.
        const string record = """
            INSERT INTO provider_budget_usage (credential, slot, used) VALUES (@Credential, UNIX_TIMESTAMP(), @Count)
                ON DUPLICATE KEY UPDATE used = used + @Count;
            DELETE FROM provider_budget_usage WHERE credential = @Credential AND slot < UNIX_TIMESTAMP() - @Span;
            """;
        await connection.ExecuteAsync(new CommandDefinition(
            record, new { Credential = key, Count = count, Span = span }, transaction, cancellationToken: cancellationToken));
        // Committed whatever the caller's token says now: the request is about to be sent and must be counted.
        await transaction.CommitAsync(CancellationToken.None);
        Report(identity, usage.Used + count, blockedUntilMicros: null);
    }

    /// <summary>
    /// How long until the oldest slots holding <paramref name="needed"/> requests have left the window: the first slot
    /// (oldest first) at which the running sum reaches it frees the room at slot + span + 1.
    /// </summary>
    private static async Task<TimeSpan> UntilFreedAsync(MySqlConnection connection, MySqlTransaction transaction,
        string key, Usage usage, long needed, int span, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT slot
            FROM (SELECT slot, CAST(SUM(used) OVER (ORDER BY slot) AS SIGNED) AS freed
                  FROM provider_budget_usage
                  WHERE credential = @Credential AND slot >= @Oldest) oldest_first
            WHERE freed >= @Needed
            ORDER BY slot
            LIMIT 1
            """;
        var nowSlot = usage.NowMicros / 1_000_000;
        var slot = await connection.QuerySingleOrDefaultAsync<long?>(new CommandDefinition(
            sql, new { Credential = key, Oldest = nowSlot - span, Needed = needed }, transaction, cancellationToken: cancellationToken));
        // Under the row lock the window holds at least `needed`, so a slot is found; if not, a whole window is safe.
        var freesAtMicros = ((slot ?? nowSlot) + span + 1) * 1_000_000;
        return TimeSpan.FromMicroseconds(Math.Max(freesAtMicros - usage.NowMicros, 1));
    }

    /// <summary>
    /// Records a provider 429: no worker sends for this credential before <paramref name="retryAfter"/> has passed
    /// (a later block only ever extends an earlier one). It never throws: this worker honours the block even when the
    /// database cannot be told (or the caller gives up first), and the 429 still reaches its row.
    /// </summary>
    public async Task BlockAsync(string identity, TimeSpan retryAfter, string reason, CancellationToken cancellationToken)
    {
        Remember(identity, new Refusal(time.GetTimestamp(), retryAfter, reason, MinCount: 1));
        // SET runs left to right: block_reason is chosen while blocked_until still holds the earlier block.
        const string sql = """
            INSERT INTO provider_budget (credential, blocked_until, block_reason, updated_at)
            VALUES (@Credential, UTC_TIMESTAMP(6) + INTERVAL @Micros MICROSECOND, @Reason, UTC_TIMESTAMP(6))
            ON DUPLICATE KEY UPDATE
                block_reason = IF(COALESCE(blocked_until, UTC_TIMESTAMP(6)) < UTC_TIMESTAMP(6) + INTERVAL @Micros MICROSECOND, @Reason, block_reason),
                blocked_until = GREATEST(COALESCE(blocked_until, UTC_TIMESTAMP(6)), UTC_TIMESTAMP(6) + INTERVAL @Micros MICROSECOND),
                updated_at = UTC_TIMESTAMP(6);
            SELECT TIMESTAMPDIFF(MICROSECOND, '1970-01-01', blocked_until) AS BlockedUntilMicros, block_reason AS BlockReason,
                   TIMESTAMPDIFF(MICROSECOND, '1970-01-01', UTC_TIMESTAMP(6)) AS NowMicros
            FROM provider_budget
            WHERE credential = @Credential;
            """;
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            var stored = await connection.QuerySingleAsync<StoredBlock>(new CommandDefinition(
                sql, new { Credential = CredentialKey(identity), Micros = (long)retryAfter.TotalMicroseconds, Reason = reason },
                cancellationToken: cancellationToken));
            WorkerMetrics.BudgetBlockedUntil.WithLabels(identity).Set(stored.BlockedUntilMicros / 1e6);
            // Another worker's longer block is honoured here too from now on.
            var remaining = TimeSpan.FromMicroseconds(stored.BlockedUntilMicros - stored.NowMicros);
            if (remaining > retryAfter) Remember(identity, new Refusal(time.GetTimestamp(), remaining, stored.BlockReason, MinCount: 1));
        }
        catch (Exception ex) when (ex is DbException or OperationCanceledException)
        {
            LogBlockNotShared(ex, identity, (int)Math.Ceiling(retryAfter.TotalSeconds));
        }
    }

    /// <summary>
    /// The key under which a credential's budget is stored: its identity (never a secret), or for one too long for
    /// the column (a Global API Key's long e-mail) a hash of it.
    /// </summary>
    internal static string CredentialKey(string identity) =>
        identity.Length <= MaxKeyLength
            ? identity
            : "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..40];

    private CloudflareRateLimitedException Refuse(string identity, TimeSpan wait, string reason, int minCount)
    {
        Remember(identity, new Refusal(time.GetTimestamp(), wait, reason, minCount));
        return new CloudflareRateLimitedException(wait, reason);
    }

    private void Remember(string identity, Refusal refusal) =>
        refusals.AddOrUpdate(identity, refusal, (_, current) => current.Refuses(1, time) is { } left && left > refusal.Wait ? current : refusal);

    private static void Report(string identity, long used, long? blockedUntilMicros)
    {
        WorkerMetrics.BudgetUsed.WithLabels(identity).Set(used);
        WorkerMetrics.BudgetBlockedUntil.WithLabels(identity).Set(blockedUntilMicros is { } micros ? micros / 1e6 : 0);
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "credential {Identity}: the 429's Retry-After ({RetryAfterSec} s) could not be stored for the other workers; this worker honours it")]
    private partial void LogBlockNotShared(Exception ex, string identity, int retryAfterSec);

    private sealed record Block(long? BlockedUntilMicros, string? BlockReason);

    private sealed record Usage(long NowMicros, long Used);

    private sealed record StoredBlock(long BlockedUntilMicros, string BlockReason, long NowMicros);

    /// <summary>A refusal known here: for <see cref="Wait"/> from <see cref="Since"/> (local monotonic time), requests of at least <see cref="MinCount"/>.</summary>
    private sealed record Refusal(long Since, TimeSpan Wait, string Reason, int MinCount)
    {
        /// <summary>The wait left when it still refuses <paramref name="count"/> requests; null once it no longer applies.</summary>
        public TimeSpan? Refuses(int count, TimeProvider time)
        {
            var elapsed = time.GetElapsedTime(Since);
            return count >= MinCount && elapsed < MaxRemembered && elapsed < Wait ? Wait - elapsed : null;
        }
    }
}
