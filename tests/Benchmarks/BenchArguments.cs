namespace DnsSync.Benchmarks;

/// <summary>Command line of the benchmark: <c>[--quick] [--out DIR] [--only latency|api|claim|bulk|failover|faults|audit]</c>.</summary>
internal sealed record BenchArguments(bool Quick, string? OutDirectory, string? Error)
{
    public static readonly string[] Scenarios = ["latency", "api", "claim", "bulk", "failover", "faults", "audit"];

    /// <summary>Run only this scenario group (for profiling a change); null = all.</summary>
    public string? Only { get; init; }

    public static BenchArguments Parse(IReadOnlyList<string> args)
    {
        var quick = false;
        string? outDirectory = null;
        string? only = null;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--out" when i + 1 < args.Count:
                    outDirectory = Path.GetFullPath(args[++i]);
                    break;
                case "--out":
                    return new(quick, null, "--out needs a directory");
                case "--only" when i + 1 < args.Count && Scenarios.Contains(args[i + 1]):
                    only = args[++i];
                    break;
                case "--only":
                    return new(quick, null, $"--only needs one of {string.Join(", ", Scenarios)}");
                default:
                    return new(quick, null, $"unknown argument '{args[i]}'");
            }
        }
        return new(quick, outDirectory, null) { Only = only };
    }
}
