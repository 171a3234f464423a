namespace DnsSync.Benchmarks;

/// <summary>Command line of the benchmark: <c>[--quick] [--out DIR]</c>.</summary>
internal sealed record BenchArguments(bool Quick, string? OutDirectory, string? Error)
{
    public static BenchArguments Parse(IReadOnlyList<string> args)
    {
        var quick = false;
        string? outDirectory = null;
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
                default:
                    return new(quick, null, $"unknown argument '{args[i]}'");
            }
        }
        return new(quick, outDirectory, null);
    }
}
