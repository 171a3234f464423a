using FluentMigrator;

namespace DnsSync.Migrations.Versions;

/// <summary>
/// The request budget of each Cloudflare credential, shared by every worker on this database: provider_budget holds
/// one row per credential (the row reservations lock, and the Retry-After block of a 429 any worker received),
/// provider_budget_usage the requests sent per second of the database's clock, kept only while inside the window.
/// <c>credential</c> is the worker's non-secret identity of a token or Global API Key (never the secret).
/// </summary>
[Migration(202612010004, "provider_budget, provider_budget_usage: one request budget per credential across workers")]
public sealed class M202612010004_AddProviderBudget : Migration
{
    public override void Up() => Execute.Sql("""
        CREATE TABLE provider_budget (
            credential    VARCHAR(64)   NOT NULL,
            blocked_until DATETIME(6)   NULL,
            block_reason  VARCHAR(255)  NULL,
            updated_at    DATETIME(6)   NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
            PRIMARY KEY (credential)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
        CREATE TABLE provider_budget_usage (
            credential VARCHAR(64) NOT NULL,
            slot       BIGINT      NOT NULL,
            used       INT         NOT NULL,
            PRIMARY KEY (credential, slot)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
        """);

    // Forgets the usage and any block: workers then start from a full budget (Cloudflare's own 429 still applies).
    public override void Down() => Execute.Sql("""
        DROP TABLE provider_budget_usage;
        DROP TABLE provider_budget;
        """);
}
