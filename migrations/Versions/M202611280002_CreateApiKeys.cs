using FluentMigrator;

namespace DnsSync.Migrations.Versions;

[Migration(202611280002, "api_keys: provider credentials, token encrypted at rest by the application")]
public sealed class M202611280002_CreateApiKeys : Migration
{
    // api_token holds "v1:" + base64(nonce | ciphertext | tag); 1024 leaves room for long tokens.
    public override void Up() => Execute.Sql("""
        CREATE TABLE api_keys (
            id         BIGINT        NOT NULL AUTO_INCREMENT,
            name       VARCHAR(128)  NOT NULL,
            provider   VARCHAR(32)   NOT NULL DEFAULT 'cloudflare',
            account    VARCHAR(255)  NULL,
            api_token  VARCHAR(1024) NOT NULL,
            status     VARCHAR(16)   NOT NULL DEFAULT 'active',
            created_at DATETIME(6)   NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
            updated_at DATETIME(6)   NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
            PRIMARY KEY (id),
            CONSTRAINT ck_api_keys_status CHECK (status IN ('active', 'inactive'))
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci
        """);

    public override void Down() => Execute.Sql("DROP TABLE api_keys");
}
