using FluentMigrator;

namespace DnsSync.Migrations.Versions;

/// <summary>
/// At most one present row per (domain_id, type, name, value), enforced by the database.
/// A value may be 2,048 characters, longer than any index key, so the key is a SHA-256 of the
/// tuple; absent rows hash to NULL, and a unique index admits any number of NULLs.
/// </summary>
[Migration(202611280005, "unique present record per (domain_id, type, name, value)")]
public sealed class M202611280005_AddPresentRecordUniqueness : Migration
{
    public override void Up() => Execute.Sql("""
        ALTER TABLE domain_dns_records
            ADD COLUMN present_key BINARY(32) AS (
                IF(desired_state = 'present',
                   UNHEX(SHA2(CONCAT_WS('|', domain_id, type, name, value), 256)),
                   NULL)) STORED,
            ADD UNIQUE KEY ux_domain_dns_records_present (present_key)
        """);

    public override void Down() => Execute.Sql("""
        ALTER TABLE domain_dns_records
            DROP INDEX ux_domain_dns_records_present,
            DROP COLUMN present_key
        """);
}
