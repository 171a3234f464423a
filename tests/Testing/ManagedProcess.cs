using System.Diagnostics;
using System.Runtime.InteropServices;

namespace DnsSync.Testing;

/// <summary>
/// One of the product's programs (api, worker, emulator) run as a real child process, as in production:
/// output goes to a log file, and a test can stop it gracefully (SIGTERM) or crash it (SIGKILL).
/// </summary>
public sealed partial class ManagedProcess : IAsyncDisposable
{
    private readonly Process _process;

    private long _exitedAtTicks;

    private ManagedProcess(string name, Process process, string logPath)
    {
        Name = name;
        _process = process;
        LogPath = logPath;
    }

    /// <summary>
    /// When the process exited (machine clock, UTC), taken in the runtime's exit event as it reaps the child; null
    /// while it runs. The emulator's request log uses the same clock, so request arrival times compare with it.
    /// </summary>
    public DateTimeOffset? ExitedAt
    {
        get
        {
            var ticks = Interlocked.Read(ref _exitedAtTicks);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    public string Name { get; }
    public string LogPath { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    /// <summary>Starts <c>dotnet &lt;assembly&gt;.dll</c> of <paramref name="project"/> (e.g. "worker", "api") built in this configuration.</summary>
    public static ManagedProcess Start(string name, string project, string assembly, IEnumerable<string> args,
        IReadOnlyDictionary<string, string?> environment, string logDirectory)
    {
        Directory.CreateDirectory(logDirectory);
        var logPath = Path.Combine(logDirectory, $"{name}.log");
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec dotnet \"$0\" \"$@\" >>'" + logPath + "' 2>&1");
        psi.ArgumentList.Add(RepositoryPaths.Assembly(project, assembly));
        foreach (var arg in args) psi.ArgumentList.Add(arg);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (key, value) in environment) psi.Environment[key] = value;
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var managed = new ManagedProcess(name, process, logPath);
        process.Exited += (_, _) => Interlocked.CompareExchange(ref managed._exitedAtTicks, DateTimeOffset.UtcNow.UtcTicks, 0);
        if (!process.Start()) throw new InvalidOperationException($"could not start {name}");
        return managed;
    }

    /// <summary>SIGKILL: the process gets no chance to clean up, as in a crash or an OOM kill.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    /// <summary>SIGTERM, as systemd sends it; returns the exit code, or null when the process outlived <paramref name="timeout"/>.</summary>
    public async Task<int?> TerminateAsync(TimeSpan timeout)
    {
        if (!_process.HasExited) _ = SendSignal(_process.Id, 15);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>Peak resident set size so far (VmHWM), in bytes; 0 once the process has exited.</summary>
    public long PeakRssBytes()
    {
        try
        {
            var line = File.ReadLines($"/proc/{_process.Id}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>The last lines of the log, for assertion messages.</summary>
    public string LogTail(int lines = 40) =>
        File.Exists(LogPath) ? string.Join('\n', File.ReadAllLines(LogPath).TakeLast(lines)) : "";

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited && await TerminateAsync(TimeSpan.FromSeconds(10)) is null) Kill();
        _process.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}

/// <summary>Where the repository and the built programs are, seen from a test assembly.</summary>
public static class RepositoryPaths
{
    /// <summary>The folder holding DnsSync.slnx.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>Build configuration of the running test assembly (Debug or Release): programs are taken from the same one.</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    /// <summary>
    /// When set (by <c>make bench</c>), a folder of <c>dotnet publish</c> outputs, <c>DIR/&lt;project&gt;/&lt;assembly&gt;.dll</c>:
    /// a program published there runs from there (as deployed, e.g. the worker's ReadyToRun code), the others from
    /// the build output.
    /// </summary>
    public const string PublishedProgramsVariable = "DNS_SYNC_PUBLISHED_PROGRAMS";

    /// <summary>The programs run from <see cref="PublishedProgramsVariable"/>'s folder rather than the build output.</summary>
    public static IReadOnlyList<string> PublishedProjects(params string[] projects) =>
        Environment.GetEnvironmentVariable(PublishedProgramsVariable) is { Length: > 0 } dir
            ? projects.Where(p => Directory.Exists(Path.Combine(dir, p))).ToList()
            : [];

    /// <summary>Path of a built program's dll, e.g. ("worker", "dns-sync-worker"): published (see <see cref="PublishedProgramsVariable"/>) or built.</summary>
    public static string Assembly(string project, string assembly)
    {
        if (Environment.GetEnvironmentVariable(PublishedProgramsVariable) is { Length: > 0 } published && Directory.Exists(Path.Combine(published, project)))
        {
            var publishedPath = Path.Combine(published, project, assembly + ".dll");
            return File.Exists(publishedPath) ? publishedPath : throw new FileNotFoundException($"{publishedPath} is not published: run `make bench-build` first.");
        }
        var path = Path.Combine(Root, project, "bin", Configuration, "net10.0", assembly + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is not built: run `dotnet build DnsSync.slnx -c {Configuration}` first.");
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DnsSync.slnx"))) return dir.FullName;
        throw new InvalidOperationException("DnsSync.slnx not found above " + AppContext.BaseDirectory);
    }
}
