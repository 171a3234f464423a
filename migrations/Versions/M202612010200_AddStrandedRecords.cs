using FluentMigrator;

namespace DnsSync.Migrations.Versions;

/// <summary>
/// stranded_records: remote records a rebind left at a domain's previous zone, one per row that had (or may have had)
/// a record there. <c>delete_requested</c> (the bind's <c>moveRecords</c>, or a later delete request) makes the worker
/// delete it once the row is active at its new target; otherwise it is kept and listed. provider_record_id NULL means
/// the row was being created there when it was rebound: the worker looks it up by its ownership marker.
/// record_id has no foreign key: the row may be deleted while its old record is still listed.
/// </summary>
[Migration(202612010200, "stranded_records: records left at a domain's previous zone by a rebind")]
public sealed class M202612010200_AddStrandedRecords : Migration
{
    public override void Up() => Execute.Sql("""
        CREATE TABLE stranded_records (
            id                 BIGINT        NOT NULL AUTO_INCREMENT,
            domain_id          BIGINT        NOT NULL,
            record_id          BIGINT        NOT NULL,
            provider_zone_id   VARCHAR(64)   NOT NULL,
            api_key_id         BIGINT        NOT NULL,
            provider_record_id VARCHAR(64)   NULL,
            type               VARCHAR(10)   NOT NULL,
            name               VARCHAR(253)  NOT NULL,
            value              VARCHAR(2048) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
            delete_requested   TINYINT(1)    NOT NULL DEFAULT 0,
            status             VARCHAR(16)   NOT NULL DEFAULT 'pending',
            last_error         VARCHAR(255)  NULL,
            retry_count        INT           NOT NULL DEFAULT 0,
            next_retry_at      DATETIME(6)   NULL,
            locked_by          VARCHAR(64)   NULL,
            locked_until       DATETIME(6)   NULL,
            created_at         DATETIME(6)   NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
            updated_at         DATETIME(6)   NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
            PRIMARY KEY (id),
            KEY ix_stranded_records_domain (domain_id, id),
            KEY ix_stranded_records_record (record_id),
            KEY ix_stranded_records_status (status, next_retry_at),
            CONSTRAINT fk_stranded_records_domain FOREIGN KEY (domain_id) REFERENCES domains (id),
            CONSTRAINT ck_stranded_records_status CHECK (status IN ('pending', 'running', 'kept', 'error'))
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci
        """);

    public override void Down() => Execute.Sql("DROP TABLE stranded_records");
}
