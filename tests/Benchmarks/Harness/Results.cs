namespace DnsSync.Benchmarks.Harness;

/// <summary>Everything one run measured; written to benchmarks.json and rendered into BENCHMARKS.md.</summary>
internal sealed record BenchResults
{
    public required string Mode { get; init; }
    public required DateTimeOffset Date { get; init; }
    public required string Command { get; init; }
    public string? Commit { get; init; }
    public required MachineInfo Machine { get; init; }
    /// <summary>Programs run from their <c>dotnet publish</c> output (as deployed) instead of the build output.</summary>
    public IReadOnlyList<string> PublishedPrograms { get; init; } = [];
    public double TotalSeconds { get; set; }
    public List<LatencyResult> Latency { get; } = [];
    public ConvergenceResult? Convergence { get; set; }
    public ApiThroughputResult? Throughput { get; set; }
    public ClaimCostResult? ClaimCost { get; set; }
    public Scenarios.ApiScaleResult? ApiScale { get; set; }
    /// <summary>Issue 12: 10,000 first creates under Cloudflare's real limit, by one and by three workers.</summary>
    public List<WorkerRun> BulkCreate { get; } = [];
    /// <summary>Issue 12: value changes of active records.</summary>
    public List<WorkerRun> Failover { get; } = [];
    /// <summary>Issue 12: a bulk run under a fault mix.</summary>
    public WorkerRun? Faults { get; set; }
    /// <summary>Issue 13: the audit of a large zone, and the repair of records changed by hand.</summary>
    public Scenarios.AuditResult? Audit { get; set; }
    public MemoryResult Memory { get; } = new();
    public List<GoalResult> Goals { get; } = [];
}

/// <summary>Scenario 1: create → active, per record, from the row's created_at to its last_synced_at (database clock).</summary>
internal sealed record LatencyResult(int EmulatorLatencyMs, int Records, double RatePerSecond, Summary LatencyMs,
    double ScheduleMaxLatenessMs, IReadOnlyDictionary<string, string?> WorkerSettings)
{
    /// <summary>Provider requests during the run (from the emulator's log) and how many were answered 429.</summary>
    public long? ProviderRequests { get; init; }

    public long? RateLimited { get; init; }
}

/// <summary>Scenario 2: a backlog created through the api, then converged by one worker.</summary>
internal sealed record ConvergenceResult(
    int Records, int Zones, double CreateSeconds, double CreatesPerSecond, double WallSeconds, double RecordsPerSecond, double ProviderSpanSeconds,
    long ProviderRequests, IReadOnlyDictionary<string, long> RequestsByKind, long RateLimited,
    double RequestsPerRecord, double RatioVsGo, IReadOnlyDictionary<string, double> CpuSeconds,
    IReadOnlyDictionary<string, string?> WorkerSettings, IReadOnlyList<string> EmulatorArgs);

/// <summary>Scenario 3: api creates and lists against the same INSERT sent directly, all at one concurrency.</summary>
internal sealed record ApiThroughputResult(
    int Concurrency, double WarmupSeconds, double WindowSeconds,
    ThroughputResult BaselineInsert, ThroughputResult ApiCreate, ThroughputResult ApiList,
    double? CreateVsBaseline, long RowsInTableDuringLists,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> CpuSeconds)
{
    /// <summary>The api's whole create batch (lock, checks, insert) sent directly: the database's share of a create.</summary>
    public ThroughputResult? CreateBatchDirect { get; init; }

    /// <summary>The same batch without the named lock (as TXT creates send it): what GET_LOCK/RELEASE_LOCK cost.</summary>
    public ThroughputResult? CreateBatchWithoutLock { get; init; }
}

/// <summary>Scenario 4: the worker's claim transaction on a small and a large table with the same number of due rows.</summary>
internal sealed record ClaimCostResult(int BatchSize, int DueRows, int Iterations, ClaimSample Small, ClaimSample Large, double? P50Ratio, double? MeanRatio, string Plan);

internal sealed record ClaimSample(long Rows, Summary Ms, double HandlerReadsPerClaim);

/// <summary>Scenario 5: peak resident set (VmHWM) of the product's processes, in MiB, at the named moments.</summary>
internal sealed record MemoryResult
{
    public Dictionary<string, double> PeakRssMiB { get; } = [];
}

/// <summary>A goal of issue 8 or 12 and whether this run met it.</summary>
internal sealed record GoalResult(string Goal, string Target, string Measured, bool Met, string? Note = null)
{
    /// <summary>The provider rate limit the number was measured under ("real …", "lifted"), or "—" when no provider was involved.</summary>
    public string ProviderLimit { get; init; } = "—";
}
