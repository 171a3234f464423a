using System.Security.Cryptography;
using Dapper;
using DnsSync.Api.ApiKeys;
using DnsSync.Shared.Secrets;
using Microsoft.Extensions.Configuration;
using MySqlConnector;

namespace DnsSync.Api.Tests;

/// <summary>Rotation of Secrets__Key: tokens under a former key or in plaintext are rewritten under the new one.</summary>
public sealed class ReencryptTokensTests : ApiTestBase
{
    [Test]
    public async Task Reencrypt_moves_every_token_to_the_current_key_and_is_idempotent()
    {
        var newKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var oldProtector = SecretProtector.FromBase64(ApiFactory.SecretsKey);
        await using (var db = new MySqlConnection(ConnectionString))
        {
            await db.ExecuteAsync("DELETE FROM domain_dns_providers; DELETE FROM api_keys");
            await db.ExecuteAsync("INSERT INTO api_keys (name, api_token) VALUES ('old', @Old), ('plain', 'plain-token-1234')",
                new { Old = oldProtector.Protect("old-token-5678") });
        }
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Default"] = ConnectionString,
            ["Secrets:Key"] = newKey,
            ["Secrets:PreviousKeys"] = ApiFactory.SecretsKey,
        }).Build();

        using var output = new StringWriter();
        var exit = await ReencryptTokensCommand.RunAsync(configuration, output, TextWriter.Null);
        Assert.That(exit, Is.Zero);
        Assert.That(output.ToString(), Does.Contain("re-encrypted 2"));

        var onlyNew = SecretProtector.FromBase64(newKey);
        await using (var db = new MySqlConnection(ConnectionString))
        {
            var tokens = (await db.QueryAsync<(long Id, string Name, string Token, string Hint)>("SELECT id, name, api_token, api_token_hint FROM api_keys ORDER BY name")).ToList();
            Assert.That(tokens.Select(t => (t.Name, onlyNew.Unprotect(t.Token, t.Id), t.Hint)),
                Is.EqualTo(new[] { ("old", "old-token-5678", "****5678"), ("plain", "plain-token-1234", "****1234") }));
            Assert.That(tokens.Select(t => t.Token[..3]), Is.All.EqualTo(SecretProtector.BoundPrefix), "every token bound to its row");
        }

        using var again = new StringWriter();
        Assert.That(await ReencryptTokensCommand.RunAsync(configuration, again, TextWriter.Null), Is.Zero);
        Assert.That(again.ToString(), Does.Contain("re-encrypted 0, already bound under the current key 2"));
    }

    [Test]
    public async Task Tokens_no_key_can_read_are_reported_and_the_command_fails()
    {
        await using (var db = new MySqlConnection(ConnectionString))
        {
            await db.ExecuteAsync("DELETE FROM domain_dns_providers; DELETE FROM api_keys");
            await db.ExecuteAsync("INSERT INTO api_keys (name, api_token) VALUES ('lost', @T)",
                new { T = SecretProtector.FromBase64(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))).Protect("x") });
        }
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Default"] = ConnectionString,
            ["Secrets:Key"] = ApiFactory.SecretsKey,
        }).Build();
        using var error = new StringWriter();
        Assert.That(await ReencryptTokensCommand.RunAsync(configuration, TextWriter.Null, error), Is.EqualTo(1));
        Assert.That(error.ToString(), Does.Contain("Secrets__PreviousKeys"));
    }
}
