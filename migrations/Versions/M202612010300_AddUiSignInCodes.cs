using FluentMigrator;

namespace DnsSync.Migrations.Versions;

/// <summary>
/// One-time sign-in codes for the status page (<c>dns-sync-api signin-link</c>): only the SHA-256 of a code is stored,
/// each is deleted when it is exchanged for a session, and it expires after minutes. The code itself never reaches
/// the database, so reading the table signs nobody in.
/// </summary>
[Migration(202612010300, "ui_signin_codes: one-time sign-in codes of the status page")]
public sealed class M202612010300_AddUiSignInCodes : Migration
{
    public override void Up() => Execute.Sql("""
        CREATE TABLE ui_signin_codes (
            code_hash  BINARY(32)   NOT NULL,
            subject    VARCHAR(128) NOT NULL,
            scope      VARCHAR(16)  NOT NULL,
            expires_at DATETIME(6)  NOT NULL,
            created_at DATETIME(6)  NOT NULL,
            PRIMARY KEY (code_hash),
            KEY ix_ui_signin_codes_expires (expires_at)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
        """);

    public override void Down() => Execute.Sql("DROP TABLE ui_signin_codes");
}
