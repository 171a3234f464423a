using Dapper;
using DnsSync.Shared.Secrets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MySqlConnector;

namespace DnsSync.Shared.Data;

/// <summary>Registrations both hosts make the same way.</summary>
public static class DataServiceCollectionExtensions
{
    /// <summary>
    /// Registers one <see cref="MySqlDataSource"/> for <c>ConnectionStrings:Default</c>. Times are read as UTC
    /// (every timestamp column holds UTC), and Dapper maps snake_case columns to PascalCase properties.
    /// </summary>
    public static IServiceCollection AddDnsSyncDatabase(this IServiceCollection services, IConfiguration configuration) =>
        services.AddDnsSyncDatabase(configuration, _ => { });

    /// <summary>
    /// As <see cref="AddDnsSyncDatabase(IServiceCollection, IConfiguration)"/>, letting the host adjust the connection
    /// settings first (the api sets <c>AllowUserVariables</c> for its one-round-trip create batch).
    /// </summary>
    public static IServiceCollection AddDnsSyncDatabase(this IServiceCollection services, IConfiguration configuration,
        Action<MySqlConnectionStringBuilder> configure)
    {
        var connectionString = configuration.GetConnectionString("Default");
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new InvalidOperationException("ConnectionStrings__Default is not set: give the MySQL connection string (Server=…;Database=…;User ID=…;Password=…).");
        MySqlConnectionStringBuilder builder;
        try
        {
            builder = new MySqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException($"ConnectionStrings__Default is malformed: {ex.Message}");
        }
        configure(builder);
        builder.DateTimeKind = MySqlDateTimeKind.Utc;
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        services.AddSingleton(_ => new MySqlDataSourceBuilder(builder.ConnectionString).Build());
        return services;
    }

    /// <summary>Registers the <see cref="SecretProtector"/> for <c>Secrets:Key</c> (and <c>Secrets:PreviousKeys</c> during a rotation); a missing or wrong key stops start-up.</summary>
    public static IServiceCollection AddSecretProtection(this IServiceCollection services, IConfiguration configuration)
    {
        var protector = SecretProtector.FromBase64(configuration["Secrets:Key"], configuration["Secrets:PreviousKeys"]);
        return services.AddSingleton(protector);
    }
}

/// <summary>The schema version this build of api and worker expects (the newest migration).</summary>
public static class SchemaVersion
{
    /// <summary>Kept equal to the newest migration by a test in tests/Migrations.Tests.</summary>
    public const long Latest = 202612010201;
}
