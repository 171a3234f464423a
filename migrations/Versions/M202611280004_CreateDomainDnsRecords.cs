using FluentMigrator;

namespace DnsSync.Migrations.Versions;

[Migration(202611280004, "domain_dns_records: the seed's columns plus version, lease and last_synced_at")]
public sealed class M202611280004_CreateDomainDnsRecords : Migration
{
    // value is binary-collated: TXT content is case-sensitive, and names/targets are stored normalised.
    // attempt_count counts claims: above zero, a provider call may have been made for the row, so a
    // create without a saved provider_record_id must look the record up first.
    public override void Up() => Execute.Sql("""
        CREATE TABLE domain_dns_records (
            id                 BIGINT        NOT NULL AUTO_INCREMENT,
            domain_id          BIGINT        NOT NULL,
            type               VARCHAR(10)   NOT NULL,
            name               VARCHAR(253)  NOT NULL,
            value              VARCHAR(2048) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
            ttl                INT           NOT NULL DEFAULT 120,
            proxied            TINYINT(1)    NOT NULL DEFAULT 0,
            status             VARCHAR(16)   NOT NULL DEFAULT 'pending',
            desired_state      VARCHAR(16)   NOT NULL DEFAULT 'present',
            provider_record_id VARCHAR(64)   NULL,
            last_error         VARCHAR(255)  NULL,
            retry_count        INT           NOT NULL DEFAULT 0,
            next_retry_at      DATETIME(6)   NULL,
            owner_type         VARCHAR(32)   NOT NULL DEFAULT 'external',
            owner_id           BIGINT        NOT NULL DEFAULT 0,
            version            BIGINT        NOT NULL DEFAULT 1,
            attempt_count      INT           NOT NULL DEFAULT 0,
            locked_by          VARCHAR(64)   NULL,
            locked_until       DATETIME(6)   NULL,
            last_synced_at     DATETIME(6)   NULL,
            created_at         DATETIME(6)   NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
            updated_at         DATETIME(6)   NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
            PRIMARY KEY (id),
            KEY ix_domain_dns_records_domain_name (domain_id, name, type),
            KEY ix_domain_dns_records_owner (owner_type, owner_id),
            KEY ix_domain_dns_records_status (status),
            CONSTRAINT fk_domain_dns_records_domain FOREIGN KEY (domain_id) REFERENCES domains (id),
            CONSTRAINT ck_domain_dns_records_status CHECK (status IN ('pending', 'running', 'active', 'error')),
            CONSTRAINT ck_domain_dns_records_desired_state CHECK (desired_state IN ('present', 'absent'))
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci
        """);

    public override void Down() => Execute.Sql("DROP TABLE domain_dns_records");
}
