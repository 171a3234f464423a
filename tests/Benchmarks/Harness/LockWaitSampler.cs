using Dapper;
using MySqlConnector;

namespace DnsSync.Benchmarks.Harness;

/// <summary>
/// Samples, every <see cref="Interval"/> while a run lasts, the InnoDB transactions waiting for a row lock, by the
/// table their waiting statement names: how much the workers queue on the shared request budget's row
/// (provider_budget) or on the records table. The mean is over all samples, so 2.0 means two transactions were
/// waiting on average.
/// </summary>
internal sealed class LockWaitSampler : IAsyncDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    private static readonly string[] Tables = ["provider_budget_usage", "provider_budget", "domain_dns_records"];

    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, long> _waiting = [];
    private readonly Task _loop;
    private int _samples;

    private LockWaitSampler(string connectionString) => _loop = Task.Run(() => LoopAsync(connectionString));

    public static LockWaitSampler Start(string connectionString) => new(connectionString);

    /// <summary>Table → mean number of transactions waiting on a lock in it.</summary>
    public async Task<IReadOnlyDictionary<string, double>> StopAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        return Means(_waiting, _samples);
    }

    /// <summary>
    /// The first of the tables the workers lock that a waiting statement names (a batch of statements is reported
    /// whole, and its first statement is where the budget reservation takes its lock), or "other".
    /// </summary>
    public static string TableOf(string? statement)
    {
        if (statement is null) return "other";
        var named = Tables
            .Select(t => (Table: t, Match: System.Text.RegularExpressions.Regex.Match(statement, $@"\b{t}\b", System.Text.RegularExpressions.RegexOptions.IgnoreCase)))
            .Where(m => m.Match.Success)
            .OrderBy(m => m.Match.Index)
            .FirstOrDefault();
        return named.Table ?? "other";
    }

    public static IReadOnlyDictionary<string, double> Means(IReadOnlyDictionary<string, long> waiting, int samples) =>
        waiting.ToDictionary(w => w.Key, w => samples == 0 ? 0 : Math.Round((double)w.Value / samples, 2));

    private async Task LoopAsync(string connectionString)
    {
        try
        {
            await using var connection = new MySqlConnection(connectionString);
            await connection.OpenAsync(_stop.Token);
            while (!_stop.IsCancellationRequested)
            {
                var statements = await connection.QueryAsync<string?>(new CommandDefinition(
                    "SELECT trx_query FROM information_schema.innodb_trx WHERE trx_state = 'LOCK WAIT'", cancellationToken: _stop.Token));
                _samples++;
                foreach (var table in statements.Select(TableOf)) _waiting[table] = _waiting.GetValueOrDefault(table) + 1;
                await Task.Delay(Interval, _stop.Token);
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
            // Stopped (a cancelled query may surface as the driver's own exception, not as OperationCanceledException).
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await StopAsync();
        _stop.Dispose();
    }
}
