using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MySqlConnector;

namespace DnsSync.Testing;

/// <summary>
/// A throwaway MariaDB/MySQL server started from the machine's binaries: fresh data directory in a
/// temp folder, a free loopback port, root without password. <see cref="DisposeAsync"/> stops it and
/// deletes the folder; a watchdog shell does the same if the owning process dies without disposing.
/// </summary>
public sealed class LocalMySqlServer : IAsyncDisposable
{
    private static readonly string[] SearchDirs = ["/usr/sbin", "/usr/bin", "/usr/local/bin", "/usr/local/mysql/bin", "/opt/homebrew/bin"];
    private Process? _server;
    private Process? _watchdog;

    private LocalMySqlServer(string directory, int port, string serverBinary)
    {
        Directory = directory;
        Port = port;
        ServerBinary = serverBinary;
    }

    public string Directory { get; }
    public int Port { get; }
    public string ServerBinary { get; }
    public int? ProcessId => _server is { HasExited: false } ? _server.Id : null;
    public string ConnectionString => $"Server=127.0.0.1;Port={Port};User ID=root;Password=;Pooling=true;Maximum Pool Size=200;Connection Timeout=5";

    /// <summary>The server binary on this machine, or null when neither mariadbd nor mysqld is installed.</summary>
    public static string? FindServerBinary() => Find("mariadbd") ?? Find("mysqld");

    /// <summary>Initialises a data directory and starts the server; the watchdog follows <paramref name="ownerPid"/> (default: this process).</summary>
    public static async Task<LocalMySqlServer> StartAsync(int? ownerPid = null, CancellationToken cancellationToken = default)
    {
        var binary = FindServerBinary()
            ?? throw new InvalidOperationException("No MariaDB/MySQL server binary found: install one (Debian: apt-get install -y mariadb-server), or set TEST_MYSQL_CONNECTION.");
        var directory = Path.Combine(Path.GetTempPath(), $"dns-sync-mysql-{Guid.NewGuid():N}"[..28]);
        System.IO.Directory.CreateDirectory(directory);
        var server = new LocalMySqlServer(directory, Ports.Free(), binary);
        try
        {
            await server.InitialiseAsync(cancellationToken);
            server.StartWatchdog(ownerPid ?? Environment.ProcessId);
            await server.StartProcessAsync(cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the server process on the existing data directory and port (after <see cref="Kill"/>).</summary>
    public async Task StartProcessAsync(CancellationToken cancellationToken = default)
    {
        var args = new List<string>
        {
            "--no-defaults", $"--datadir={DataDir}", $"--tmpdir={TmpDir}", $"--port={Port}", "--bind-address=127.0.0.1",
            $"--socket={Path.Combine(Directory, "mysql.sock")}", $"--pid-file={Path.Combine(Directory, "mysql.pid")}",
            "--skip-name-resolve", "--skip-log-bin", "--max-connections=1000",
            "--innodb-buffer-pool-size=256M", "--innodb-flush-log-at-trx-commit=2",
            "--character-set-server=utf8mb4", "--collation-server=utf8mb4_general_ci",
        };
        if (IsRoot) args.Add("--user=root");
        _server = Process.Start(Psi(ServerBinary, args, Path.Combine(Directory, "server.log")))
            ?? throw new InvalidOperationException($"Could not start {ServerBinary}");
        await WaitUntilReadyAsync(cancellationToken);
    }

    /// <summary>Kills the server process (SIGKILL), keeping its data: the way a crash or an outage looks to clients.</summary>
    public void Kill()
    {
        if (_server is { HasExited: false })
        {
            _server.Kill(entireProcessTree: true);
            _server.WaitForExit(10_000);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        _server?.Dispose();
        if (_watchdog is { HasExited: false })
        {
            _watchdog.Kill(entireProcessTree: true);
            await _watchdog.WaitForExitAsync();
        }
        _watchdog?.Dispose();
        for (var attempt = 0; attempt < 5 && System.IO.Directory.Exists(Directory); attempt++)
        {
            try { System.IO.Directory.Delete(Directory, recursive: true); }
            catch (IOException) { await Task.Delay(200); }
        }
    }

    private string DataDir => Path.Combine(Directory, "data");

    /// <summary>
    /// The server's own temporary folder. A MariaDB server deletes every "#sql*" file in its tmpdir when it starts,
    /// so servers sharing /tmp (test assemblies run in parallel) would delete each other's temporary tables,
    /// and an install running at that moment fails ("Unknown table 'mysql.tmp_user_sys'").
    /// </summary>
    public string TmpDir => Path.Combine(Directory, "tmp");
    private static bool IsRoot => Environment.UserName == "root";

    private async Task InitialiseAsync(CancellationToken cancellationToken)
    {
        var log = Path.Combine(Directory, "install.log");
        System.IO.Directory.CreateDirectory(TmpDir);
        ProcessStartInfo psi;
        var installDb = Find("mariadb-install-db") ?? Find("mysql_install_db");
        if (installDb is not null && ServerBinary.EndsWith("mariadbd", StringComparison.Ordinal))
        {
            // Options install-db does not know itself (--tmpdir) go on to the bootstrap server.
            var args = new List<string> { "--no-defaults", $"--datadir={DataDir}", "--auth-root-authentication-method=normal", "--skip-test-db", $"--tmpdir={TmpDir}" };
            if (IsRoot) args.Add("--user=root");
            psi = Psi(installDb, args, log);
        }
        else
        {
            // MySQL proper: the server initialises its own data directory.
            var args = new List<string> { "--no-defaults", "--initialize-insecure", $"--datadir={DataDir}", $"--tmpdir={TmpDir}" };
            if (IsRoot) args.Add("--user=root");
            psi = Psi(ServerBinary, args, log);
        }

        using var install = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {psi.FileName}");
        await install.WaitForExitAsync(cancellationToken);
        if (install.ExitCode != 0)
            throw new InvalidOperationException($"{psi.FileName} failed with exit code {install.ExitCode}: {await File.ReadAllTextAsync(log, cancellationToken)}");
    }

    /// <summary>Kills the server and removes the folder when the owner process goes away without cleaning up.</summary>
    private void StartWatchdog(int ownerPid)
    {
        var script = $"""
            while kill -0 {ownerPid} 2>/dev/null; do sleep 1; done
            if [ -f '{Directory}/mysql.pid' ]; then kill -9 "$(cat '{Directory}/mysql.pid')" 2>/dev/null; fi
            sleep 1
            rm -rf '{Directory}'
            """;
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardInput = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        _watchdog = Process.Start(psi);
    }

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                await using var connection = new MySqlConnection(ConnectionString + ";Pooling=false");
                await connection.OpenAsync(cancellationToken);
                return;
            }
            catch (MySqlException) when (DateTime.UtcNow < deadline && _server is { HasExited: false })
            {
                await Task.Delay(100, cancellationToken);
            }
            catch (MySqlException ex)
            {
                var log = Path.Combine(Directory, "server.log");
                var tail = File.Exists(log) ? string.Join('\n', (await File.ReadAllLinesAsync(log, cancellationToken)).TakeLast(15)) : "";
                throw new InvalidOperationException($"{ServerBinary} did not accept connections on port {Port}: {ex.Message}\n{tail}", ex);
            }
        }
    }

    private static ProcessStartInfo Psi(string file, IEnumerable<string> args, string logFile)
    {
        // Output goes to a file through the shell, so nothing has to drain pipes for the server's lifetime.
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec \"$0\" \"$@\" >>'" + logFile + "' 2>&1");
        psi.ArgumentList.Add(file);
        foreach (var arg in args) psi.ArgumentList.Add(arg);
        return psi;
    }

    private static string? Find(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH")?.Split(':') ?? [];
        return path.Concat(SearchDirs).Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
    }

}

/// <summary>Free loopback ports for servers a test starts.</summary>
public static class Ports
{
    /// <summary>A port nothing listens on right now (the OS picks it).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
