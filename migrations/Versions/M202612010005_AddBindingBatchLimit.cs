using FluentMigrator;

namespace DnsSync.Migrations.Versions;

/// <summary>
/// A binding's batch_limit caps the changes the worker sends in one batch request to its zone: NULL takes
/// Cloudflare:BatchLimit (200, the Free plan's limit); paid zones accept 3,500.
/// </summary>
[Migration(202612010005, "domain_dns_providers.batch_limit")]
public sealed class M202612010005_AddBindingBatchLimit : Migration
{
    public override void Up() => Execute.Sql("""
        ALTER TABLE domain_dns_providers
            ADD COLUMN batch_limit INT NULL,
            ADD CONSTRAINT ck_domain_dns_providers_batch_limit CHECK (batch_limit IS NULL OR batch_limit BETWEEN 1 AND 3500)
        """);

    public override void Down() => Execute.Sql("""
        ALTER TABLE domain_dns_providers
            DROP CONSTRAINT ck_domain_dns_providers_batch_limit,
            DROP COLUMN batch_limit
        """);
}
