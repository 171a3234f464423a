using DnsSync.Shared.Records;
using FluentMigrator;

namespace DnsSync.Migrations.Versions;

/// <summary>
/// due_at regenerated with the retry limit taken from <see cref="RetryPolicy.MaxAttempts"/>, the one source the
/// worker and the API use too (M202611280006 had the number as a literal). Same meaning otherwise: pending rows
/// from their last change or scheduled retry, error rows at next_retry_at while retries remain, running rows when
/// their lease expires, active rows never.
/// </summary>
[Migration(202612010003, "due_at: retry limit from RetryPolicy.MaxAttempts")]
public sealed class M202612010003_DueAtFromRetryPolicy : Migration
{
    public override void Up() => Execute.Sql(DueAt(RetryPolicy.MaxAttempts));

    public override void Down() => Execute.Sql(DueAt(10));

    private static string DueAt(int maxAttempts) => $"""
        ALTER TABLE domain_dns_records
            MODIFY COLUMN due_at DATETIME(6) AS (
                CASE status
                    WHEN 'pending' THEN COALESCE(next_retry_at, updated_at)
                    WHEN 'error'   THEN IF(retry_count < {maxAttempts}, next_retry_at, NULL)
                    WHEN 'running' THEN COALESCE(locked_until, updated_at)
                END) STORED
        """;
}
