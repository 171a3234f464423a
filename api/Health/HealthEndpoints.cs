using DnsSync.Shared.Data;

namespace DnsSync.Api.Health;

public sealed record LiveDto(string Status);

public sealed record ReadyDto(string Database, long SchemaVersion);

/// <summary>Liveness (the process answers) and readiness (database reachable, schema at this build's migration). No auth.</summary>
internal static partial class HealthEndpoints
{
    public static RouteGroupBuilder MapHealthEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/health").WithTags("Health").AllowAnonymous();
        group.MapGet("/live", () => ApiResults.Ok(new LiveDto("ok"))).WithName("Live");
        group.MapGet("/ready", ReadyAsync).WithName("Ready");
        return group;
    }

    public static async Task<Results<Ok<Envelope<ReadyDto>>, Unavailable>>
        ReadyAsync(MySqlDataSource dataSource, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        const string sql = "SELECT MAX(Version) FROM VersionInfo";
        long? version;
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            version = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(sql, cancellationToken: cancellationToken));
        }
        catch (MySqlException ex) when (ex.ErrorCode == MySqlErrorCode.NoSuchTable)
        {
            version = null;
        }
        catch (MySqlException ex)
        {
            LogNotReady(loggerFactory.CreateLogger("DnsSync.Api.Health"), ex.ErrorCode);
            return ApiResults.Unavailable("database unreachable: check ConnectionStrings__Default and that the server is up");
        }

        // A newer schema is ready too: migrations run before api instances are rolled, so old instances keep serving.
        if (version is null || version < SchemaVersion.Latest)
            return ApiResults.Unavailable(version is null
                ? $"schema not migrated (expected {SchemaVersion.Latest}): run the migrations (dotnet run --project migrations -- up)"
                : $"schema at {version}, expected {SchemaVersion.Latest}: run the migrations (dotnet run --project migrations -- up)");
        return ApiResults.Ok(new ReadyDto("ok", version.Value));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not ready: database error {ErrorCode}")]
    private static partial void LogNotReady(ILogger logger, MySqlErrorCode errorCode);
}
