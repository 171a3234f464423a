namespace DnsSync.Benchmarks.Harness;

/// <summary>
/// One timed run of issue 12's scenarios (bulk create, failover, faults): a backlog of changes written through the
/// api, then worker processes timed until every row is active with its current version applied, the provider's
/// requests counted from the emulator's log, and the provider's records audited against the rows.
/// </summary>
internal sealed record WorkerRun
{
    /// <summary>What the run is, e.g. "1 worker" or "diagnostic: 1 worker, DnsWorker__BatchSize=2000".</summary>
    public required string Label { get; init; }

    /// <summary>Which round of a repeated scenario (1, 2, …); the goals take the median round.</summary>
    public int Round { get; init; } = 1;

    /// <summary>A diagnostic run explains a number; no goal is checked against it.</summary>
    public bool Diagnostic { get; init; }

    public required int Workers { get; init; }
    public required int Records { get; init; }
    public required int Zones { get; init; }

    /// <summary>How long the api took to accept the backlog.</summary>
    public required double SubmitSeconds { get; init; }

    /// <summary>From <see cref="TimedFrom"/> until every row was active and synced (or the timeout).</summary>
    public required double WallSeconds { get; init; }

    /// <summary>"worker start" (the backlog was written first) or "first change" (the worker was already running).</summary>
    public required string TimedFrom { get; init; }

    /// <summary>From <see cref="TimedFrom"/> to the first provider request: start-up (and JIT) or reaction time, within <see cref="WallSeconds"/>.</summary>
    public double? FirstRequestSeconds { get; init; }

    public required bool Converged { get; init; }
    public required long ProviderRequests { get; init; }
    public required IReadOnlyDictionary<string, long> RequestsByKind { get; init; }
    public required long RateLimited { get; init; }
    public required double RequestsPerRecord { get; init; }

    /// <summary>The most requests one credential made in any <see cref="LimitWindowSeconds"/> (sliding), 429s excluded.</summary>
    public required int MaxRequestsInWindow { get; init; }

    public required double LimitWindowSeconds { get; init; }

    /// <summary>Whether the provider's rate limit was raised above Cloudflare's (emulator and worker budget).</summary>
    public required bool ProviderLimitLifted { get; init; }

    public required StateAudit Audit { get; init; }
    public required IReadOnlyDictionary<string, double> CpuSeconds { get; init; }
    public required IReadOnlyDictionary<string, string?> WorkerSettings { get; init; }
    public required IReadOnlyList<string> EmulatorArgs { get; init; }

    /// <summary>Peak RSS (VmHWM) of each worker at the end of the run, MiB.</summary>
    public required IReadOnlyDictionary<string, double> WorkerPeakRssMiB { get; init; }

    /// <summary>Table → mean number of transactions waiting for a row lock in it during the run (<see cref="LockWaitSampler"/>).</summary>
    public required IReadOnlyDictionary<string, double> LockWaits { get; init; }

    /// <summary>Injected faults met, by kind (fault runs only).</summary>
    public IReadOnlyDictionary<string, long>? Faults { get; init; }

    public double RecordsPerSecond => WallSeconds > 0 ? Records / WallSeconds : 0;
}
