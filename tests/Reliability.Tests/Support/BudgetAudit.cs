using Dapper;
using DnsSync.Testing;
using MySqlConnector;

namespace DnsSync.Reliability.Tests.Support;

/// <summary>One change of the shared request budget: a reservation of <see cref="Amount"/> requests, or a stored 429 block.</summary>
internal sealed record BudgetEvent(string Kind, string Credential, int Amount, DateTimeOffset? BlockedUntil, DateTimeOffset At);

/// <summary>
/// The workers' shared request budget as the database saw it, and what it means for the requests the emulator logged.
/// Test-only triggers on provider_budget_usage and provider_budget record every reservation and every change of a
/// credential's Retry-After block with the database's time at the moment the row changed (both run under the
/// credential's row lock, so their order is the order in which workers saw them). The database and the emulator run on
/// this machine and read the same clock, so database times and the emulator's arrival times can be compared.
/// </summary>
internal static class BudgetAudit
{
    /// <summary>Window edges are compared with this much allowance for the two clocks' rounding (only ever to excuse).</summary>
    public static readonly TimeSpan ClockSlack = TimeSpan.FromMilliseconds(50);

    public static async Task InstallAsync(LocalStack stack)
    {
        // NOW(6) and UTC_TIMESTAMP(6) are the triggering statement's start; SYSDATE(6) is the moment the row changes,
        // which for a block is after the statement waited for the row lock.
        const string now = "UTC_TIMESTAMP(6) + INTERVAL TIMESTAMPDIFF(MICROSECOND, NOW(6), SYSDATE(6)) MICROSECOND";
        await using var connection = new MySqlConnection(stack.ConnectionString);
        await connection.ExecuteAsync($"""
            CREATE TABLE budget_audit (
                id            BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
                kind          VARCHAR(8)  NOT NULL,
                credential    VARCHAR(64) NOT NULL,
                amount        INT         NOT NULL,
                blocked_until DATETIME(6) NULL,
                at            DATETIME(6) NOT NULL
            );
            CREATE TRIGGER budget_audit_reserve AFTER INSERT ON provider_budget_usage FOR EACH ROW
                INSERT INTO budget_audit (kind, credential, amount, at) VALUES ('reserve', NEW.credential, NEW.used, {now});
            CREATE TRIGGER budget_audit_reserve_more AFTER UPDATE ON provider_budget_usage FOR EACH ROW
                INSERT INTO budget_audit (kind, credential, amount, at) VALUES ('reserve', NEW.credential, NEW.used - OLD.used, {now});
            CREATE TRIGGER budget_audit_block AFTER INSERT ON provider_budget FOR EACH ROW
                INSERT INTO budget_audit (kind, credential, amount, blocked_until, at)
                SELECT 'block', NEW.credential, 0, NEW.blocked_until, {now} FROM DUAL WHERE NEW.blocked_until IS NOT NULL;
            CREATE TRIGGER budget_audit_block_change AFTER UPDATE ON provider_budget FOR EACH ROW
                INSERT INTO budget_audit (kind, credential, amount, blocked_until, at)
                SELECT 'block', NEW.credential, 0, NEW.blocked_until, {now} FROM DUAL WHERE NOT (OLD.blocked_until <=> NEW.blocked_until);
            """);
    }

    public static async Task<List<BudgetEvent>> ReadAsync(LocalStack stack)
    {
        await using var connection = new MySqlConnection(stack.ConnectionString);
        var rows = await connection.QueryAsync<(string Kind, string Credential, int Amount, DateTime? BlockedUntil, DateTime At)>(
            "SELECT kind, credential, amount, blocked_until, at FROM budget_audit ORDER BY at, id");
        return rows.Select(r => new BudgetEvent(r.Kind, r.Credential, r.Amount, r.BlockedUntil is { } until ? Utc(until) : null, Utc(r.At))).ToList();
    }

    /// <summary>Reservations made while the credential's stored block was in force: a worker that did not honour another's 429.</summary>
    public static List<string> ReservationsInsideBlocks(IReadOnlyList<BudgetEvent> events)
    {
        var found = new List<string>();
        foreach (var credential in events.GroupBy(e => e.Credential))
        {
            DateTimeOffset? blockedUntil = null;
            foreach (var e in credential.OrderBy(e => e.At))
            {
                if (e.Kind == "block") blockedUntil = e.BlockedUntil;
                else if (blockedUntil > e.At)
                    found.Add($"{credential.Key}: {e.Amount} request(s) reserved at {e.At:O}, inside the block until {blockedUntil:O}");
            }
        }
        return found;
    }

    /// <summary>Arrivals at the emulator not covered by an earlier reservation: a request sent outside the shared budget.</summary>
    public static List<string> RequestsWithoutReservation(IReadOnlyList<BudgetEvent> events, IReadOnlyList<LoggedRequest> log)
    {
        var found = new List<string>();
        foreach (var credential in log.Where(r => r.Credential is not null).GroupBy(r => r.Credential!))
        {
            var reservations = events.Where(e => e.Kind == "reserve" && e.Credential == credential.Key).OrderBy(e => e.At).ToList();
            var reserved = 0L;
            var next = 0;
            var arrived = 0L;
            foreach (var request in credential.OrderBy(r => r.Time))
            {
                while (next < reservations.Count && reservations[next].At <= request.Time) reserved += reservations[next++].Amount;
                if (++arrived > reserved)
                    found.Add($"{request.Method} {request.Path} at {request.Time:O}: request {arrived} of {credential.Key}, but only {reserved} reserved by then");
            }
        }
        return found;
    }

    /// <summary>
    /// Whether every 429 the emulator answered held back every worker until its Retry-After (1 s, the least the
    /// emulator sends) had passed. For each 429, from the moment the stored block covered its Retry-After (when a
    /// worker recorded it, or earlier if a block already reached that far), the requests that arrive inside the
    /// Retry-After window can only be those reserved before that moment and still on their way: if more arrive, a
    /// worker sent one it reserved inside the block, or one it never reserved. A 429 that never became such a block
    /// was not shared. Returns one line per violation, and per 429 the delay from its answer to its block and how
    /// many requests already on their way arrived inside its window (for the results).
    /// </summary>
    public static (List<string> Violations, List<double> BlockDelaysMs, int InFlightArrivals) RetryAfterWindows(
        IReadOnlyList<BudgetEvent> events, IReadOnlyList<LoggedRequest> log, TimeSpan retryAfter)
    {
        var violations = new List<string>();
        var delays = new List<double>();
        var inFlightArrivals = 0;
        foreach (var limited in log.Where(r => r.Status == 429 && r.Credential is not null))
        {
            var credential = limited.Credential!;
            var answered = limited.End;
            var windowEnd = answered + retryAfter - ClockSlack;
            var blocks = events.Where(e => e.Kind == "block" && e.Credential == credential).OrderBy(e => e.At).ToList();
            var inForce = blocks.LastOrDefault(b => b.At <= answered);
            DateTimeOffset? covered = inForce?.BlockedUntil >= windowEnd
                ? answered
                : blocks.FirstOrDefault(b => b.At > answered && b.BlockedUntil >= windowEnd)?.At;
            if (covered is not { } from)
            {
                violations.Add($"the 429 answered at {answered:O} ({limited.Method} {limited.Path}) was never stored as a block reaching {windowEnd:O}");
                continue;
            }
            delays.Add(Math.Round((from - answered).TotalMilliseconds, 1));
            var requests = log.Where(r => r.Credential == credential).ToList();
            var reserved = events.Where(e => e.Kind == "reserve" && e.Credential == credential && e.At <= from).Sum(e => (long)e.Amount);
            var arrivedBefore = requests.Count(r => r.Time <= from);
            var inWindow = requests.Where(r => r.Time > from && r.Time < windowEnd).ToList();
            inFlightArrivals += inWindow.Count;
            if (inWindow.Count > reserved - arrivedBefore)
                violations.Add($"{inWindow.Count} request(s) arrived inside the Retry-After window of the 429 answered at {answered:O} "
                    + $"after its block was stored at {from:O}, but only {reserved - arrivedBefore} were reserved before and on their way: "
                    + string.Join(", ", inWindow.Take(5).Select(r => $"{r.Method} {r.Path} at {r.Time:O}")));
        }
        return (violations, delays, inFlightArrivals);
    }

    /// <summary>The most requests of one credential that arrived within any window of <paramref name="window"/> (the emulator's sliding window, (t − window, t]).</summary>
    public static (int Requests, DateTimeOffset? EndingAt) BusiestWindow(IReadOnlyList<LoggedRequest> log, TimeSpan window)
    {
        var best = (Requests: 0, EndingAt: (DateTimeOffset?)null);
        foreach (var credential in log.Where(r => r.Credential is not null).GroupBy(r => r.Credential))
        {
            var times = credential.Select(r => r.Time).Order().ToList();
            var first = 0;
            for (var last = 0; last < times.Count; last++)
            {
                while (times[first] <= times[last] - window) first++;
                if (last - first + 1 > best.Requests) best = (last - first + 1, times[last]);
            }
        }
        return best;
    }

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
