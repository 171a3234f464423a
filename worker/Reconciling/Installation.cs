using Dapper;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace DnsSync.Worker.Reconciling;

/// <summary>This installation's id for ownership markers: DnsWorker:InstallationId, else the database's own.</summary>
internal sealed class Installation(MySqlDataSource dataSource, IOptions<DnsWorkerOptions> options)
{
    private string? id;

    public async ValueTask<string> IdAsync(CancellationToken cancellationToken)
    {
        if (id is not null) return id;
        if (options.Value.InstallationId is { Length: > 0 } configured) return id = configured;
        const string sql = "SELECT installation_id FROM installation WHERE id = 1";
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return id = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(sql, cancellationToken: cancellationToken))
            ?? throw new InvalidOperationException("the installation table has no row: apply the migrations (dns-sync-migrations up)");
    }
}
