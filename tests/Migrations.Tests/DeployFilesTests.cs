using System.Text.RegularExpressions;
using Dapper;
using DnsSync.Testing;
using MySqlConnector;

namespace DnsSync.Migrations.Tests;

/// <summary>The shipped deployment files run what the tests run.</summary>
public sealed partial class DeployFilesTests
{
    [Test]
    public async Task Compose_runs_the_mariadb_release_the_tests_run_on()
    {
        await using var connection = new MySqlConnection(await TestDatabase.ServerConnectionStringAsync());
        var version = await connection.ExecuteScalarAsync<string>("SELECT VERSION()");
        if (!version!.Contains("MariaDB", StringComparison.OrdinalIgnoreCase))
            Assert.Inconclusive($"the test server is not MariaDB ({version}); compose is checked against MariaDB runs");

        var compose = await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "deploy", "containers", "compose.yaml"));
        var image = ImageLine().Match(compose);
        Assert.That(image.Success, Is.True, "compose.yaml names a database image");
        var tested = string.Join('.', version.Split('.', '-').Take(2));
        Assert.That(image.Groups[1].Value, Is.EqualTo($"mariadb:{tested}"), "the compose database is the release the tests ran on");
    }

    [Test]
    public async Task Worker_unit_is_a_template_giving_each_instance_its_own_metrics_port()
    {
        var unit = await File.ReadAllLinesAsync(Path.Combine(RepositoryPaths.Root, "deploy", "systemd", "dns-sync-worker@.service"));
        var port = Array.IndexOf(unit, "Environment=DnsWorker__MetricsPort=%i");
        Assert.Multiple(() =>
        {
            Assert.That(port, Is.GreaterThan(0), "the instance name is the metrics port");
            Assert.That(unit.Select((line, i) => (line, i)).Where(l => l.line.StartsWith("EnvironmentFile=", StringComparison.Ordinal)).Select(l => l.i),
                Has.All.LessThan(port), "set after the env files, so a shared worker.env cannot give two instances one port");
        });
    }

    [GeneratedRegex(@"^\s+image:\s*(\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex ImageLine();
}
