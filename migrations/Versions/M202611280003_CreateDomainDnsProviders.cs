using FluentMigrator;

namespace DnsSync.Migrations.Versions;

[Migration(202611280003, "domain_dns_providers: one provider binding per domain")]
public sealed class M202611280003_CreateDomainDnsProviders : Migration
{
    public override void Up() => Execute.Sql("""
        CREATE TABLE domain_dns_providers (
            id               BIGINT       NOT NULL AUTO_INCREMENT,
            domain_id        BIGINT       NOT NULL,
            provider         VARCHAR(32)  NOT NULL DEFAULT 'cloudflare',
            provider_zone_id VARCHAR(64)  NOT NULL,
            api_key_id       BIGINT       NOT NULL,
            status           VARCHAR(16)  NOT NULL DEFAULT 'active',
            created_at       DATETIME(6)  NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
            updated_at       DATETIME(6)  NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
            PRIMARY KEY (id),
            UNIQUE KEY ux_domain_dns_providers_domain (domain_id),
            KEY ix_domain_dns_providers_api_key (api_key_id),
            CONSTRAINT fk_domain_dns_providers_domain FOREIGN KEY (domain_id) REFERENCES domains (id),
            CONSTRAINT fk_domain_dns_providers_api_key FOREIGN KEY (api_key_id) REFERENCES api_keys (id),
            CONSTRAINT ck_domain_dns_providers_status CHECK (status IN ('active', 'inactive'))
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci
        """);

    public override void Down() => Execute.Sql("DROP TABLE domain_dns_providers");
}
