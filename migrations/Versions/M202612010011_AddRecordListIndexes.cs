using FluentMigrator;

namespace DnsSync.Migrations.Versions;

/// <summary>
/// Indexes for the record list, newest first (InnoDB appends the primary key to every secondary index, so each of these
/// is ordered by id within its prefix): a domain's records, a domain's records by status, and records by desired state.
/// With them a page is an index range read backwards from the cursor, whatever the table's size. Filters by owner
/// (owner_type, owner_id), by status and by name (domain_id, name, type) use the existing indexes.
/// </summary>
[Migration(202612010011, "indexes that serve the record list's filters in id order")]
public sealed class M202612010011_AddRecordListIndexes : Migration
{
    public override void Up() => Execute.Sql("""
        ALTER TABLE domain_dns_records
            ADD KEY ix_domain_dns_records_domain (domain_id),
            ADD KEY ix_domain_dns_records_domain_status (domain_id, status),
            ADD KEY ix_domain_dns_records_desired_state (desired_state)
        """);

    public override void Down() => Execute.Sql("""
        ALTER TABLE domain_dns_records
            DROP INDEX ix_domain_dns_records_domain,
            DROP INDEX ix_domain_dns_records_domain_status,
            DROP INDEX ix_domain_dns_records_desired_state
        """);
}
