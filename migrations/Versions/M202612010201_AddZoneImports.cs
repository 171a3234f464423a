using FluentMigrator;

namespace DnsSync.Migrations.Versions;

/// <summary>
/// zone_imports: requests to create a domain and binding for every zone an API key can see (the api records them, a
/// worker claims one under a lease, lists the zones and writes the outcome back). result is the JSON list of zones
/// with what was, or in a dry run would be, done with each.
/// </summary>
[Migration(202612010201, "zone_imports: zone import requests and their results")]
public sealed class M202612010201_AddZoneImports : Migration
{
    public override void Up() => Execute.Sql("""
        CREATE TABLE zone_imports (
            id             BIGINT       NOT NULL AUTO_INCREMENT,
            api_key_id     BIGINT       NOT NULL,
            dry_run        TINYINT(1)   NOT NULL,
            status         VARCHAR(16)  NOT NULL DEFAULT 'requested',
            requested_by   VARCHAR(128) NULL,
            zones_seen     INT          NULL,
            created_count  INT          NULL,
            existing_count INT          NULL,
            skipped_count  INT          NULL,
            result         MEDIUMTEXT   NULL,
            last_error     VARCHAR(255) NULL,
            attempt_count  INT          NOT NULL DEFAULT 0,
            next_retry_at  DATETIME(6)  NULL,
            locked_by      VARCHAR(64)  NULL,
            locked_until   DATETIME(6)  NULL,
            created_at     DATETIME(6)  NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
            updated_at     DATETIME(6)  NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
            finished_at    DATETIME(6)  NULL,
            PRIMARY KEY (id),
            KEY ix_zone_imports_status (status, next_retry_at),
            KEY ix_zone_imports_api_key (api_key_id, status),
            CONSTRAINT ck_zone_imports_status CHECK (status IN ('requested', 'running', 'done', 'error'))
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci
        """);

    public override void Down() => Execute.Sql("DROP TABLE zone_imports");
}
