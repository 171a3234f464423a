using FluentMigrator;

namespace DnsSync.Migrations.Versions;

[Migration(202611280001, "domains: the zones users may declare records in")]
public sealed class M202611280001_CreateDomains : Migration
{
    public override void Up() => Execute.Sql("""
        CREATE TABLE domains (
            id         BIGINT       NOT NULL AUTO_INCREMENT,
            domain     VARCHAR(253) NOT NULL,
            status     VARCHAR(16)  NOT NULL DEFAULT 'active',
            created_at DATETIME(6)  NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
            updated_at DATETIME(6)  NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
            PRIMARY KEY (id),
            UNIQUE KEY ux_domains_domain (domain),
            CONSTRAINT ck_domains_status CHECK (status IN ('active', 'inactive'))
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci
        """);

    public override void Down() => Execute.Sql("DROP TABLE domains");
}
