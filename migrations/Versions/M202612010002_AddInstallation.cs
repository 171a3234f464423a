using FluentMigrator;

namespace DnsSync.Migrations.Versions;

/// <summary>
/// One row: the id this installation writes into the ownership marker of every record it creates
/// (<c>dns-sync:&lt;installation&gt;:&lt;row id&gt;</c>), generated once per database, so two installations sharing
/// a zone (staging and production) or a restored copy never take each other's records for their own.
/// </summary>
[Migration(202612010002, "installation: the id in this database's ownership markers")]
public sealed class M202612010002_AddInstallation : Migration
{
    public override void Up() => Execute.Sql("""
        CREATE TABLE installation (
            id              TINYINT      NOT NULL,
            installation_id VARCHAR(40)  NOT NULL,
            created_at      DATETIME(6)  NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
            PRIMARY KEY (id),
            CONSTRAINT ck_installation_single CHECK (id = 1)
        ) ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin;
        INSERT INTO installation (id, installation_id) VALUES (1, LEFT(SHA2(CONCAT(UUID(), RAND(), UTC_TIMESTAMP(6)), 256), 16));
        """);

    // Dropping the table forgets the id: records already marked with it then read as another installation's
    // (never adopted or deleted by this one). Set DnsWorker:InstallationId to the old id to keep them.
    public override void Down() => Execute.Sql("DROP TABLE installation");
}
