using System.Diagnostics;
using DnsSync.Testing;
using MySqlConnector;

namespace DnsSync.Migrations.Tests;

/// <summary>The CLI as an operator runs it: exit codes and messages a person can act on.</summary>
public sealed class CliTests
{
    [Test]
    public async Task Up_list_and_down_work_through_the_cli_and_up_twice_is_a_no_op()
    {
        var connection = await TestDatabase.CreateEmptyAsync("cli");
        try
        {
            var first = await RunAsync("up", "--connection", connection);
            var second = await RunAsync("up", "--connection", connection);
            Assert.That((first.Code, second.Code), Is.EqualTo((0, 0)), first.Output + second.Output);

            var list = await RunAsync("list", "--connection", connection);
            Assert.That(list.Output, Does.Contain($"{Migrator.LatestVersion}  applied"));
            Assert.That(list.Output, Does.Not.Contain("pending"));

            var down = await RunAsync("down", "--to", "202611280003", "--connection", connection);
            Assert.That(down.Code, Is.Zero, down.Output);
            list = await RunAsync("list", "--connection", connection);
            Assert.That(list.Output, Does.Contain("202611280003  applied").And.Contain("202611280004  pending"));
        }
        finally
        {
            await TestDatabase.DropAsync(connection);
        }
    }

    [Test]
    public async Task Connection_string_is_read_from_the_environment()
    {
        var connection = await TestDatabase.CreateEmptyAsync("cli");
        try
        {
            var result = await RunAsync(["up"], new() { ["ConnectionStrings__Default"] = connection });
            Assert.That(result.Code, Is.Zero, result.Output);
        }
        finally
        {
            await TestDatabase.DropAsync(connection);
        }
    }

    [Test]
    public async Task Unreachable_server_exits_non_zero_and_says_so()
    {
        var result = await RunAsync("up", "--connection", "Server=127.0.0.1;Port=1;User ID=root;Database=x;Connection Timeout=3");
        Assert.That(result.Code, Is.Not.Zero);
        Assert.That(result.Output, Does.Contain("Cannot reach the MySQL server at 127.0.0.1:1"));
    }

    [Test]
    public async Task Wrong_password_exits_non_zero_and_says_so()
    {
        var server = new MySqlConnectionStringBuilder(await TestDatabase.ServerConnectionStringAsync()) { Password = "definitely-wrong", Database = "" };
        var result = await RunAsync("list", "--connection", server.ConnectionString);
        Assert.That(result.Code, Is.Not.Zero);
        Assert.That(result.Output, Does.Contain($"refused user '{server.UserID}'").And.Contain("password"));
        Assert.That(result.Output, Does.Not.Contain("definitely-wrong"), "the password is never echoed");
    }

    [Test]
    public async Task Unknown_database_exits_non_zero_and_names_it()
    {
        var server = new MySqlConnectionStringBuilder(await TestDatabase.ServerConnectionStringAsync()) { Database = "no_such_db_here" };
        var result = await RunAsync("up", "--connection", server.ConnectionString);
        Assert.That(result.Code, Is.Not.Zero);
        Assert.That(result.Output, Does.Contain("Database 'no_such_db_here' does not exist"));
    }

    [TestCase("down")]
    [TestCase("sideways")]
    public async Task Bad_usage_exits_non_zero(string command)
    {
        var result = await RunAsync(command, "--connection", "Server=127.0.0.1;Database=x");
        Assert.That(result.Code, Is.Not.Zero);
        Assert.That(result.Output, Does.Contain("error:"));
    }

    [Test]
    public async Task Missing_connection_string_exits_non_zero()
    {
        var result = await RunAsync(["up"], new() { ["ConnectionStrings__Default"] = null });
        Assert.That(result.Code, Is.Not.Zero);
        Assert.That(result.Output, Does.Contain("ConnectionStrings__Default"));
    }

    private static Task<(int Code, string Output)> RunAsync(params string[] args) => RunAsync(args, []);

    private static async Task<(int Code, string Output)> RunAsync(string[] args, Dictionary<string, string?> environment)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "dns-sync-migrations.dll"));
        foreach (var arg in args) psi.ArgumentList.Add(arg);
        psi.Environment.Remove("ConnectionStrings__Default");
        foreach (var (key, value) in environment) psi.Environment[key] = value;
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
