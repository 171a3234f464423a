using System.Diagnostics;

namespace DnsSync.Benchmarks.Harness;

/// <summary>Operations per second of N concurrent loops over a measured window that follows a warm-up.</summary>
internal sealed record ThroughputResult(int Concurrency, double Seconds, long Operations, long Errors, double PerSecond, Summary LatencyMs)
{
    public string? FirstError { get; init; }
}

/// <summary>
/// Closed-loop load: <c>concurrency</c> loops each run the operation back to back. Operations that start during
/// the warm-up are not counted; the window is the time from the end of the warm-up to the last counted finish.
/// </summary>
internal static class ClosedLoop
{
    /// <param name="operation">(loop index, sequence number within the loop) → true on success.</param>
    public static async Task<ThroughputResult> RunAsync(int concurrency, TimeSpan warmup, TimeSpan window,
        Func<int, long, CancellationToken, Task<bool>> operation, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var measureFrom = warmup;
        var measureUntil = warmup + window;
        var latencies = new List<double>[concurrency];
        var errors = new long[concurrency];
        string? firstError = null;
        var loops = Enumerable.Range(0, concurrency).Select(loop => Task.Run(async () =>
        {
            var mine = latencies[loop] = [];
            for (long sequence = 0; clock.Elapsed < measureUntil && !cancellationToken.IsCancellationRequested; sequence++)
            {
                var begin = clock.Elapsed;
                bool ok;
                try
                {
                    ok = await operation(loop, sequence, cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    ok = false;
                    Interlocked.CompareExchange(ref firstError, ex.GetBaseException().Message, null);
                }
                if (begin < measureFrom) continue;
                if (ok) mine.Add((clock.Elapsed - begin).TotalMilliseconds);
                else errors[loop]++;
            }
        }, cancellationToken)).ToArray();
        await Task.WhenAll(loops);
        var seconds = Math.Max(clock.Elapsed.TotalSeconds - measureFrom.TotalSeconds, 1e-9);
        var all = latencies.SelectMany(l => l).ToList();
        return new ThroughputResult(concurrency, seconds, all.Count, errors.Sum(), all.Count / seconds, Stats.Summarize(all))
        {
            FirstError = firstError,
        };
    }
}
