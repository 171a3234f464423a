using FluentMigrator;

namespace DnsSync.Migrations.Versions;

/// <summary>
/// due_at is the moment a row becomes claimable, or NULL when no worker should touch it:
/// pending rows from their last change (or scheduled retry), error rows at next_retry_at while
/// automatic retries remain, running rows when their lease expires, active rows never.
/// The claim query is then one range scan on ix_domain_dns_records_due, oldest due first,
/// touching O(batch) index entries however many rows the table holds.
/// </summary>
[Migration(202611280006, "due_at and its index for the worker's claim query")]
public sealed class M202611280006_AddClaimIndex : Migration
{
    public override void Up() => Execute.Sql("""
        ALTER TABLE domain_dns_records
            ADD COLUMN due_at DATETIME(6) AS (
                CASE status
                    WHEN 'pending' THEN COALESCE(next_retry_at, updated_at)
                    WHEN 'error'   THEN IF(retry_count < 10, next_retry_at, NULL)
                    WHEN 'running' THEN COALESCE(locked_until, updated_at)
                END) STORED,
            ADD KEY ix_domain_dns_records_due (due_at)
        """);

    public override void Down() => Execute.Sql("""
        ALTER TABLE domain_dns_records
            DROP INDEX ix_domain_dns_records_due,
            DROP COLUMN due_at
        """);
}
