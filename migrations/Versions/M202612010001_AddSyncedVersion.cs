using FluentMigrator;

namespace DnsSync.Migrations.Versions;

/// <summary>
/// synced_version is the version last applied at the provider: a row needs a provider change when
/// version differs from it. Timestamps cannot say that (an update that waited on a row lock commits with an
/// earlier updated_at than the worker's write-back; clocks step back).
/// Existing rows that the old rule counted as in sync get their current version.
/// </summary>
[Migration(202612010001, "synced_version: the version last applied at the provider")]
public sealed class M202612010001_AddSyncedVersion : Migration
{
    public override void Up() => Execute.Sql("""
        ALTER TABLE domain_dns_records ADD COLUMN synced_version BIGINT NULL AFTER version;
        UPDATE domain_dns_records SET synced_version = version
        WHERE provider_record_id IS NOT NULL AND last_synced_at IS NOT NULL AND updated_at <= last_synced_at;
        """);

    public override void Down() => Execute.Sql("ALTER TABLE domain_dns_records DROP COLUMN synced_version");
}
