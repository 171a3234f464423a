using FluentMigrator;

namespace DnsSync.Migrations.Versions;

/// <summary>
/// What the worker last applied at the provider for a row (value, TTL and proxied at synced_version), so a plan can
/// show a pending change as before → after without asking the provider. Rows in sync get their current values.
/// </summary>
[Migration(202612010101, "synced_value, synced_ttl, synced_proxied: what was last applied at the provider")]
public sealed class M202612010101_AddSyncedValues : Migration
{
    public override void Up() => Execute.Sql("""
        ALTER TABLE domain_dns_records
            ADD COLUMN synced_value VARCHAR(2048) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL AFTER synced_version,
            ADD COLUMN synced_ttl INT NULL AFTER synced_value,
            ADD COLUMN synced_proxied TINYINT(1) NULL AFTER synced_ttl;
        UPDATE domain_dns_records SET synced_value = value, synced_ttl = ttl, synced_proxied = proxied
        WHERE synced_version = version;
        """);

    public override void Down() => Execute.Sql("""
        ALTER TABLE domain_dns_records DROP COLUMN synced_value, DROP COLUMN synced_ttl, DROP COLUMN synced_proxied
        """);
}
