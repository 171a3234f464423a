using System.Diagnostics;
using Dapper;
using DnsSync.Benchmarks;
using DnsSync.Benchmarks.Harness;
using DnsSync.Benchmarks.Scenarios;
using DnsSync.Testing;
using MySqlConnector;

// dotnet run -c Release --project tests/Benchmarks -- [--quick] [--out DIR] [--only latency|api|claim|bulk|failover|faults|audit]
// Full runs write docs/BENCHMARKS.md and docs/benchmarks.json; quick runs write under .local/bench-quick unless --out is given.
var options = BenchArguments.Parse(args);
if (options.Error is not null)
{
    Console.Error.WriteLine(options.Error);
    Console.Error.WriteLine("usage: DnsSync.Benchmarks [--quick] [--out DIR] [--only latency|api|claim|bulk|failover|faults|audit]");
    return 2;
}
var settings = options.Quick ? BenchSettings.Quick : BenchSettings.Full;
var outDirectory = options.OutDirectory
    ?? (options.Quick ? Path.Combine(RepositoryPaths.Root, ".local", "bench-quick") : Path.Combine(RepositoryPaths.Root, "docs"));
var logDirectory = Path.Combine(Path.GetTempPath(), $"dns-sync-bench-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
var clock = Stopwatch.StartNew();

try
{
    var server = await TestDatabase.ServerConnectionStringAsync(cancel.Token);
    string version;
    await using (var connection = new MySqlConnection(server))
        version = await connection.ExecuteScalarAsync<string>("SELECT CONCAT(@@version_comment, ' ', VERSION())") ?? "unknown";
    var results = new BenchResults
    {
        Mode = settings.Mode + (options.Only is null ? "" : $" (only {options.Only})"),
        Date = DateTimeOffset.UtcNow,
        Command = Environment.GetEnvironmentVariable("BENCH_COMMAND") ?? $"dotnet run -c Release --project tests/Benchmarks -- {string.Join(' ', args)}".TrimEnd(),
        Commit = GitCommit(),
        Machine = MachineInfo.Collect(version),
        PublishedPrograms = RepositoryPaths.PublishedProjects("worker", "api", "tests/CloudflareEmulator"),
    };
    Console.WriteLine($"[bench] {settings.Mode} run; logs in {logDirectory}; {TestDatabase.Description}");

    if (options.Only is null or "latency") results.Latency.AddRange(await LatencyScenario.RunAsync(settings, logDirectory, cancel.Token));
    if (options.Only is null or "api") await ThroughputAndConvergence.RunAsync(settings, results, logDirectory, cancel.Token);
    if (options.Only is null or "claim") results.ClaimCost = await ClaimCostScenario.RunAsync(settings, cancel.Token);
    if (options.Only is null or "api") results.ApiScale = await ApiScaleScenario.RunAsync(settings, logDirectory, cancel.Token);
    if (options.Only is null or "bulk") await BulkCreateScenario.RunAsync(settings, results, logDirectory, cancel.Token);
    if (options.Only is null or "failover") await FailoverScenario.RunAsync(settings, results, logDirectory, cancel.Token);
    if (options.Only is null or "faults") await FaultMixScenario.RunAsync(settings, results, logDirectory, cancel.Token);
    if (options.Only is null or "audit") results.Audit = await AuditScenario.RunAsync(settings, logDirectory, cancel.Token);
    results.TotalSeconds = Math.Round(clock.Elapsed.TotalSeconds, 1);
    results.Goals.AddRange(Goals.Evaluate(results));

    await ResultWriter.WriteAsync(results, outDirectory, "BENCHMARKS.md", "benchmarks.json");
    Console.WriteLine($"[bench] done in {clock.Elapsed.TotalSeconds:F0} s; results in {outDirectory}");
    foreach (var goal in results.Goals) Console.WriteLine($"[goal] {(goal.Met ? "met   " : "MISSED")} {goal.Goal}: {goal.Measured} (target {goal.Target})");
    return 0;
}
catch (Exception ex)
{
    Console.Error.WriteLine($"[bench] failed after {clock.Elapsed.TotalSeconds:F0} s: {ex}");
    Console.Error.WriteLine($"[bench] process logs: {logDirectory}");
    return 1;
}
finally
{
    await TestDatabase.StopAsync();
}

static string? GitCommit()
{
    try
    {
        var psi = new ProcessStartInfo("git", "rev-parse --short HEAD") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepositoryPaths.Root };
        using var git = Process.Start(psi);
        var output = git?.StandardOutput.ReadToEnd().Trim();
        git?.WaitForExit();
        return git?.ExitCode == 0 && output is { Length: > 0 } ? output : null;
    }
    catch (System.ComponentModel.Win32Exception)
    {
        return null;
    }
}
