using FluentMigrator;

namespace DnsSync.Migrations.Versions;

/// <summary>
/// The worker claims zone by zone (a zone's due rows, oldest due first): this index makes that one range read of
/// the zone's due rows, however many rows the zone and the table hold.
/// </summary>
[Migration(202612010020, "(domain_id, due_at) index for the worker's per-zone claim")]
public sealed class M202612010020_AddZoneClaimIndex : Migration
{
    public override void Up() => Execute.Sql("ALTER TABLE domain_dns_records ADD KEY ix_domain_dns_records_zone_due (domain_id, due_at)");

    public override void Down() => Execute.Sql("ALTER TABLE domain_dns_records DROP INDEX ix_domain_dns_records_zone_due");
}
