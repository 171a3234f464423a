using FluentMigrator;

namespace DnsSync.Migrations.Versions;

/// <summary>
/// api_token_hint holds the mask the api shows for a key (<c>****abcd</c>), written when the key is created, so lists
/// never decrypt tokens. Rows written before it have NULL until <c>reencrypt-tokens</c> fills them in.
/// </summary>
[Migration(202612010010, "api_keys.api_token_hint: the mask shown instead of the token")]
public sealed class M202612010010_AddApiKeyTokenHint : Migration
{
    public override void Up() => Execute.Sql("ALTER TABLE api_keys ADD COLUMN api_token_hint VARCHAR(8) NULL AFTER api_token");

    public override void Down() => Execute.Sql("ALTER TABLE api_keys DROP COLUMN api_token_hint");
}
