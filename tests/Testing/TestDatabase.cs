using System.Net.Sockets;
using DnsSync.Migrations;
using MySqlConnector;
using Testcontainers.MySql;

namespace DnsSync.Testing;

/// <summary>
/// The one MySQL server a test run uses, chosen once per process: <c>TEST_MYSQL_CONNECTION</c> when set,
/// else Testcontainers.MySql when a Docker engine answers, else a throwaway local mariadbd/mysqld.
/// Each caller of <see cref="CreateAsync"/> gets its own database, migrated by the real migrations.
/// Call <see cref="StopAsync"/> from the assembly's [SetUpFixture] OneTimeTearDown.
/// </summary>
public static class TestDatabase
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _serverConnectionString;
    private static MySqlContainer? _container;
    private static LocalMySqlServer? _local;

    /// <summary>Which backend serves this run: "env", "testcontainers" or "local".</summary>
    public static string? Backend { get; private set; }

    /// <summary>The backend and where it runs, for the test log.</summary>
    public static string? Description { get; private set; }

    /// <summary>The local server, when that is the backend (tests that stop and start the database need it).</summary>
    public static LocalMySqlServer? LocalServer => _local;

    /// <summary>Connection string of the server without a database (for CREATE DATABASE and the like).</summary>
    public static async Task<string> ServerConnectionStringAsync(CancellationToken cancellationToken = default)
    {
        await Gate.WaitAsync(cancellationToken);
        try
        {
            return _serverConnectionString ??= await StartServerAsync(cancellationToken);
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>Creates an empty database with a unique name and returns its connection string.</summary>
    public static async Task<string> CreateEmptyAsync(string? prefix = null, CancellationToken cancellationToken = default)
    {
        var server = await ServerConnectionStringAsync(cancellationToken);
        var name = $"{Sanitise(prefix ?? "t")}_{Guid.NewGuid():N}";
        await using (var connection = new MySqlConnection(server))
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = new MySqlCommand($"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci", connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        return new MySqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    /// <summary>Creates a database with a unique name, migrates it to the latest version and returns its connection string.</summary>
    public static async Task<string> CreateAsync(string? prefix = null, CancellationToken cancellationToken = default)
    {
        var connectionString = await CreateEmptyAsync(prefix, cancellationToken);
        await new Migrator(connectionString).UpAsync(cancellationToken);
        return connectionString;
    }

    /// <summary>Drops the database of <paramref name="connectionString"/>.</summary>
    public static async Task DropAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(connectionString)) return;
        var builder = new MySqlConnectionStringBuilder(connectionString);
        MySqlConnection.ClearPool(new MySqlConnection(connectionString));
        await using var connection = new MySqlConnection(new MySqlConnectionStringBuilder(connectionString) { Database = "" }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new MySqlCommand($"DROP DATABASE IF EXISTS `{builder.Database}`", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Stops whatever server this process started.</summary>
    public static async Task StopAsync()
    {
        await Gate.WaitAsync();
        try
        {
            MySqlConnection.ClearAllPools();
            if (_local is not null) await _local.DisposeAsync();
            if (_container is not null) await _container.DisposeAsync();
            _local = null;
            _container = null;
            _serverConnectionString = null;
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task<string> StartServerAsync(CancellationToken cancellationToken)
    {
        if (Environment.GetEnvironmentVariable("TEST_MYSQL_CONNECTION") is { Length: > 0 } explicitConnection)
        {
            Report("env", "TEST_MYSQL_CONNECTION");
            return new MySqlConnectionStringBuilder(explicitConnection) { Database = "" }.ConnectionString;
        }

        if (await DockerAnswersAsync(cancellationToken))
        {
            try
            {
                _container = new MySqlBuilder("mysql:8.4").Build();
                await _container.StartAsync(cancellationToken);
                Report("testcontainers", "mysql:8.4");
                var root = new MySqlConnectionStringBuilder(_container.GetConnectionString()) { UserID = "root", Database = "" };
                return root.ConnectionString;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Console.Error.WriteLine($"[test-db] Testcontainers failed ({ex.GetBaseException().Message}); falling back to a local server.");
                _container = null;
            }
        }

        _local = await LocalMySqlServer.StartAsync(cancellationToken: cancellationToken);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => _local?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Report("local", $"{_local.ServerBinary} on 127.0.0.1:{_local.Port}, data in {_local.Directory}");
        return _local.ConnectionString;
    }

    /// <summary>True when a Docker engine answers on DOCKER_HOST or the default socket (a client alone is not enough).</summary>
    private static async Task<bool> DockerAnswersAsync(CancellationToken cancellationToken)
    {
        var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
        var socketPath = host is { Length: > 0 } && host.StartsWith("unix://", StringComparison.Ordinal) ? host["unix://".Length..]
            : host is { Length: > 0 } ? null
            : "/var/run/docker.sock";
        if (socketPath is null) return true; // tcp:// engine: let Testcontainers try it.
        if (!File.Exists(socketPath)) return false;
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), timeout.Token);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    private static void Report(string backend, string detail)
    {
        Backend = backend;
        Description = $"[test-db] backend: {backend} ({detail})";
        Console.Error.WriteLine(Description);
    }

    private static string Sanitise(string prefix) =>
        new(prefix.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').Take(20).ToArray());
}
