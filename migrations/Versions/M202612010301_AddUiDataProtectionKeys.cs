using FluentMigrator;

namespace DnsSync.Migrations.Versions;

/// <summary>
/// The key ring that protects the status page's session and antiforgery cookies, shared by every api process through
/// the database (a cookie issued by one instance is read by another, and survives a restart). Each key is stored
/// encrypted with <c>Secrets:Key</c>.
/// </summary>
[Migration(202612010301, "ui_data_protection_keys: the status page's cookie key ring")]
public sealed class M202612010301_AddUiDataProtectionKeys : Migration
{
    public override void Up() => Execute.Sql("""
        CREATE TABLE ui_data_protection_keys (
            id         BIGINT       NOT NULL AUTO_INCREMENT,
            name       VARCHAR(100) NOT NULL,
            xml        MEDIUMTEXT   NOT NULL,
            created_at DATETIME(6)  NOT NULL,
            PRIMARY KEY (id),
            UNIQUE KEY ux_ui_data_protection_keys_name (name)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
        """);

    public override void Down() => Execute.Sql("DROP TABLE ui_data_protection_keys");
}
