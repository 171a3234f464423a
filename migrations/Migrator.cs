using FluentMigrator.Runner;
using FluentMigrator.Runner.Initialization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MySqlConnector;

namespace DnsSync.Migrations;

/// <summary>A migration version and whether the database has it.</summary>
public sealed record MigrationState(long Version, string Description, bool Applied);

/// <summary>Runs the FluentMigrator migrations of this assembly; used by the CLI and by the tests.</summary>
public sealed class Migrator(string connectionString, bool verbose = false)
{
    /// <summary>The newest migration version this build knows.</summary>
    public static long LatestVersion { get; } = typeof(Migrator).Assembly.GetTypes()
        .Select(t => t.GetCustomAttributes(typeof(FluentMigrator.MigrationAttribute), false))
        .Where(a => a.Length > 0)
        .Max(a => ((FluentMigrator.MigrationAttribute)a[0]).Version);

    /// <summary>Applies every pending migration; a no-op when the schema is current.</summary>
    public async Task UpAsync(CancellationToken cancellationToken = default)
    {
        await EnsureReachableAsync(cancellationToken);
        Run(runner => runner.MigrateUp());
    }

    /// <summary>Rolls back every migration newer than <paramref name="version"/> (0 = all).</summary>
    public async Task DownAsync(long version, CancellationToken cancellationToken = default)
    {
        await EnsureReachableAsync(cancellationToken);
        Run(runner => runner.MigrateDown(version));
    }

    /// <summary>Every known migration, oldest first, with whether it is applied.</summary>
    public async Task<IReadOnlyList<MigrationState>> ListAsync(CancellationToken cancellationToken = default)
    {
        await EnsureReachableAsync(cancellationToken);
        IReadOnlyList<MigrationState> states = [];
        Run(runner =>
        {
            var versions = ((MigrationRunner)runner).VersionLoader.VersionInfo;
            states = runner.MigrationLoader.LoadMigrations()
                .Select(m => new MigrationState(m.Key, m.Value.Description ?? "", versions.HasAppliedMigration(m.Key)))
                .OrderBy(s => s.Version)
                .ToList();
        });
        return states;
    }

    private void Run(Action<IMigrationRunner> action)
    {
        using var services = new ServiceCollection()
            .AddFluentMigratorCore()
            .ConfigureRunner(rb => rb
                .AddMySql8()
                .WithGlobalConnectionString(connectionString)
                .ScanIn(typeof(Migrator).Assembly).For.Migrations())
            .Configure<RunnerOptions>(o => o.TransactionPerSession = false)
            .AddLogging(lb =>
            {
                lb.SetMinimumLevel(verbose ? LogLevel.Information : LogLevel.Warning);
                lb.AddFluentMigratorConsole();
            })
            .BuildServiceProvider(validateScopes: false);
        using var scope = services.CreateScope();
        action(scope.ServiceProvider.GetRequiredService<IMigrationRunner>());
    }

    /// <summary>
    /// Opens one connection first so that an unreachable server, a wrong password or a missing
    /// database fail with a sentence a person can act on instead of a FluentMigrator stack trace.
    /// </summary>
    private async Task EnsureReachableAsync(CancellationToken cancellationToken)
    {
        MySqlConnectionStringBuilder builder;
        try
        {
            builder = new MySqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException ex)
        {
            throw new MigrationException($"The connection string is malformed: {ex.Message}", ex);
        }

        try
        {
            await using var connection = new MySqlConnection(connectionString);
            await connection.OpenAsync(cancellationToken);
        }
        catch (MySqlException ex)
        {
            var where = $"{builder.Server}:{builder.Port}";
            throw new MigrationException(ex.ErrorCode switch
            {
                MySqlErrorCode.UnableToConnectToHost =>
                    $"Cannot reach the MySQL server at {where}: is it running and is the host/port right? ({ex.Message})",
                MySqlErrorCode.AccessDenied =>
                    $"The server at {where} refused user '{builder.UserID}': check the user name and password in the connection string.",
                MySqlErrorCode.UnknownDatabase =>
                    $"Database '{builder.Database}' does not exist on {where}: create it first (CREATE DATABASE `{builder.Database}`).",
                MySqlErrorCode.DatabaseAccessDenied =>
                    $"User '{builder.UserID}' may not use database '{builder.Database}' on {where}: grant it access.",
                _ => $"Cannot open a connection to {where}: {ex.Message}",
            }, ex);
        }
    }
}

/// <summary>A migration failure with a message meant for the operator.</summary>
public sealed class MigrationException(string message, Exception? inner = null) : Exception(message, inner);
