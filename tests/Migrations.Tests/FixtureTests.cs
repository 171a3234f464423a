using System.Diagnostics;
using DnsSync.Testing;
using MySqlConnector;

namespace DnsSync.Migrations.Tests;

/// <summary>The throwaway local server leaves nothing behind, whether disposed or orphaned.</summary>
public sealed class FixtureTests
{
    [SetUp]
    public void RequireServerBinary()
    {
        if (LocalMySqlServer.FindServerBinary() is not null) return;
        const string reason = "no mariadbd/mysqld on this machine (apt-get install mariadb-server)";
        if (TestEnvironment.IsCi) Assert.Fail($"CI must run the fixture tests: {reason}");
        Assert.Ignore(reason);
    }

    [Test]
    public async Task Dispose_stops_the_server_and_removes_its_folder()
    {
        var server = await LocalMySqlServer.StartAsync();
        var pid = server.ProcessId!.Value;
        await using (var connection = new MySqlConnection(server.ConnectionString))
        {
            await connection.OpenAsync();
        }

        await server.DisposeAsync();

        Assert.That(ProcessAlive(pid), Is.False, "server process is gone");
        Assert.That(Directory.Exists(server.Directory), Is.False, "temp folder is removed");
    }

    [Test]
    public async Task Watchdog_cleans_up_when_the_owner_dies_without_disposing()
    {
        using var owner = Process.Start("sleep", "300");
        var server = await LocalMySqlServer.StartAsync(owner.Id);
        var pid = server.ProcessId!.Value;

        owner.Kill();

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((ProcessAlive(pid) || Directory.Exists(server.Directory)) && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.That(ProcessAlive(pid), Is.False, "server process is gone");
        Assert.That(Directory.Exists(server.Directory), Is.False, "temp folder is removed");
        await server.DisposeAsync();
    }

    [Test]
    public async Task Kill_and_start_keep_the_data()
    {
        await using var server = await LocalMySqlServer.StartAsync();
        await Exec(server, "CREATE DATABASE kept; CREATE TABLE kept.t (id INT); INSERT INTO kept.t VALUES (42)");
        server.Kill();
        Assert.ThrowsAsync<MySqlException>(() => Exec(server, "SELECT 1"));
        await server.StartProcessAsync();
        await using var connection = new MySqlConnection(server.ConnectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new MySqlCommand("SELECT id FROM kept.t", connection);
        Assert.That(await command.ExecuteScalarAsync(), Is.EqualTo(42));
    }

    [Test]
    public async Task Servers_started_in_parallel_keep_their_temporary_files_apart()
    {
        // Each server deletes "#sql*" files in its tmpdir at start: a shared /tmp broke installs running alongside.
        var servers = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => LocalMySqlServer.StartAsync()));
        try
        {
            foreach (var server in servers)
            {
                await using var connection = new MySqlConnection(server.ConnectionString + ";Pooling=false");
                await connection.OpenAsync();
                await using var command = new MySqlCommand("SELECT @@tmpdir", connection);
                Assert.That(await command.ExecuteScalarAsync(), Is.EqualTo(server.TmpDir));
            }
        }
        finally
        {
            foreach (var server in servers) await server.DisposeAsync();
        }
    }

    private static async Task Exec(LocalMySqlServer server, string sql)
    {
        await using var connection = new MySqlConnection(server.ConnectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static bool ProcessAlive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
