using FluentMigrator;

namespace DnsSync.Migrations.Versions;

/// <summary>
/// The drift audit of each domain's zone. zone_audits holds one row per audited domain: when the next scheduled audit
/// is due, an audit asked for through the api (requested_at, and confirm_requested to release a halted one), the lease
/// that lets one worker at a time audit the zone (locked_by, locked_until), and the outcome of the last audit with its
/// counts per class. zone_audit_differences holds what the last audit of a domain found other than "in sync", so the
/// api can page it, plan from it and import from it without calling the provider; each audit replaces its domain's.
/// </summary>
[Migration(202612010100, "zone_audits, zone_audit_differences: drift audit state and findings")]
public sealed class M202612010100_AddZoneAudits : Migration
{
    public override void Up() => Execute.Sql("""
        CREATE TABLE zone_audits (
            domain_id         BIGINT       NOT NULL,
            due_at            DATETIME(6)  NULL,
            requested_at      DATETIME(6)  NULL,
            confirm_requested TINYINT(1)   NOT NULL DEFAULT 0,
            locked_by         VARCHAR(64)  NULL,
            locked_until      DATETIME(6)  NULL,
            outcome           VARCHAR(16)  NULL,
            last_error        VARCHAR(255) NULL,
            started_at        DATETIME(6)  NULL,
            finished_at       DATETIME(6)  NULL,
            duration_ms       INT          NULL,
            requests          INT          NULL,
            remote_records    INT          NULL,
            managed_records   INT          NULL,
            in_sync           INT          NULL,
            drift             INT          NULL,
            missing           INT          NULL,
            orphans           INT          NULL,
            blocking          INT          NULL,
            unmanaged         INT          NULL,
            unjudged          INT          NULL,
            repaired          INT          NULL,
            recreated         INT          NULL,
            orphans_deleted   INT          NULL,
            updated_at        DATETIME(6)  NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
            PRIMARY KEY (domain_id),
            KEY ix_zone_audits_due (due_at),
            CONSTRAINT fk_zone_audits_domain FOREIGN KEY (domain_id) REFERENCES domains (id),
            CONSTRAINT ck_zone_audits_outcome CHECK (outcome IS NULL OR outcome IN ('applied', 'halted', 'failed'))
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
        CREATE TABLE zone_audit_differences (
            id                 BIGINT        NOT NULL AUTO_INCREMENT,
            domain_id          BIGINT        NOT NULL,
            kind               VARCHAR(16)   NOT NULL,
            action             VARCHAR(16)   NOT NULL,
            record_id          BIGINT        NULL,
            record_version     BIGINT        NULL,
            provider_record_id VARCHAR(64)   NULL,
            type               VARCHAR(10)   NULL,
            name               VARCHAR(253)  NULL,
            content            VARCHAR(2048) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
            ttl                INT           NULL,
            proxied            TINYINT(1)    NULL,
            comment            VARCHAR(500)  NULL,
            importable         TINYINT(1)    NOT NULL DEFAULT 0,
            detail             VARCHAR(255)  NULL,
            found_at           DATETIME(6)   NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
            PRIMARY KEY (id),
            KEY ix_zone_audit_differences_domain_kind (domain_id, kind),
            KEY ix_zone_audit_differences_domain_record (domain_id, record_id),
            CONSTRAINT fk_zone_audit_differences_domain FOREIGN KEY (domain_id) REFERENCES domains (id),
            CONSTRAINT ck_zone_audit_differences_kind CHECK (kind IN ('drift', 'missing', 'orphan', 'blocking', 'unmanaged'))
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
        """);

    public override void Down() => Execute.Sql("""
        DROP TABLE zone_audit_differences;
        DROP TABLE zone_audits;
        """);
}
