using Dapper;
using DnsSync.Testing;
using MySqlConnector;

namespace DnsSync.Migrations.Tests;

public sealed class SchemaTests
{
    private static readonly string[] Tables = ["domains", "api_keys", "domain_dns_providers", "domain_dns_records", "installation", "provider_budget", "provider_budget_usage", "zone_audits", "zone_audit_differences", "ui_signin_codes", "ui_data_protection_keys", "stranded_records", "zone_imports"];
    private string _connectionString = "";

    [SetUp]
    public async Task CreateDatabaseAsync() => _connectionString = await TestDatabase.CreateAsync("schema");

    [TearDown]
    public Task DropDatabaseAsync() => TestDatabase.DropAsync(_connectionString);

    [Test]
    public async Task Up_down_to_zero_up_round_trip_leaves_the_same_schema()
    {
        var before = await SchemaAsync();
        Assert.That(before.Keys, Is.EquivalentTo(Tables));

        var migrator = new Migrator(_connectionString);
        await migrator.DownAsync(0);
        Assert.That(await SchemaAsync(), Is.Empty, "down --to 0 leaves no application table");
        Assert.That((await migrator.ListAsync()).All(m => !m.Applied), Is.True);

        await migrator.UpAsync();
        Assert.That(await SchemaAsync(), Is.EqualTo(before));
    }

    [Test]
    public async Task Up_twice_is_a_no_op()
    {
        var before = await SchemaAsync();
        await new Migrator(_connectionString).UpAsync();
        Assert.That(await SchemaAsync(), Is.EqualTo(before));
        Assert.That((await new Migrator(_connectionString).ListAsync()).All(m => m.Applied), Is.True);
    }

    [Test]
    public async Task Every_migration_has_a_working_down_step_by_step()
    {
        var migrator = new Migrator(_connectionString);
        var versions = (await migrator.ListAsync()).Select(m => m.Version).Reverse().Skip(1).Append(0L);
        foreach (var version in versions)
        {
            await migrator.DownAsync(version);
            var applied = (await migrator.ListAsync()).Where(m => m.Applied).Select(m => m.Version);
            Assert.That(applied.DefaultIfEmpty(0).Max(), Is.EqualTo(version));
        }
        await migrator.UpAsync();
        Assert.That((await SchemaAsync()).Keys, Is.EquivalentTo(Tables));
    }

    [Test]
    public async Task Seed_setup_sql_and_seed_queries_run_unchanged()
    {
        await using var db = new MySqlConnection(_connectionString);
        // Verbatim from DESIGN.md: the Go system's setup SQL must keep working.
        await db.ExecuteAsync("""
            INSERT INTO domains (domain, status) VALUES ('example.com', 'active');
            INSERT INTO api_keys (name, api_token, provider, status) VALUES ('Cloudflare API', 'token', 'cloudflare', 'active');
            INSERT INTO domain_dns_providers (domain_id, provider, provider_zone_id, api_key_id, status)
              VALUES (1, 'cloudflare', 'zone-id', 1, 'active');
            """);
        await db.ExecuteAsync("""
            INSERT INTO domain_dns_records (domain_id, type, name, value, ttl, proxied, status, desired_state, owner_type, owner_id)
            VALUES (1, 'A', 'www', '192.0.2.1', 120, 0, 'pending', 'present', 'node_group', 7),
                   (1, 'A', 'api', '192.0.2.2', 120, 0, 'active', 'present', 'website_domain', 9);
            INSERT INTO domain_dns_records (domain_id, type, name, value, status, retry_count, next_retry_at, last_error, owner_type, owner_id)
            VALUES (1, 'TXT', '_acme-challenge', 'token', 'error', 10, NULL, 'cloudflare: 9005', 'acme_challenge', 3);
            UPDATE domain_dns_records SET provider_record_id = '0123456789abcdef0123456789abcdef' WHERE name = 'api';
            UPDATE domain_dns_records SET next_retry_at = UTC_TIMESTAMP() WHERE name = 'www';
            """);

        Assert.Multiple(async () =>
        {
            Assert.That(await db.QueryAsync<long>("SELECT id FROM domain_dns_records WHERE status = 'pending'"), Has.Exactly(1).Items);
            Assert.That(await db.QueryAsync<long>("SELECT id FROM domain_dns_records WHERE retry_count >= 10"), Has.Exactly(1).Items);
            Assert.That(await db.QueryAsync<long>("SELECT id FROM domain_dns_records WHERE next_retry_at IS NOT NULL"), Has.Exactly(1).Items);
            Assert.That(await db.QueryAsync<long>("SELECT id FROM domain_dns_records WHERE provider_record_id IS NOT NULL"), Has.Exactly(1).Items);
            var joined = await db.QueryAsync<(string Domain, string Name)>(
                "SELECT d.domain, r.name FROM domain_dns_records r JOIN domains d ON d.id = r.domain_id ORDER BY r.id");
            Assert.That(joined.Select(j => $"{j.Name}.{j.Domain}"), Is.EqualTo(new[] { "www.example.com", "api.example.com", "_acme-challenge.example.com" }));
            var byOwner = await db.QueryAsync<(string OwnerType, long Count)>(
                "SELECT owner_type, COUNT(*) FROM domain_dns_records GROUP BY owner_type ORDER BY owner_type");
            Assert.That(byOwner, Is.EqualTo(new[] { ("acme_challenge", 1L), ("node_group", 1L), ("website_domain", 1L) }));
            var byStatus = await db.QueryAsync<(string Status, long Count)>(
                "SELECT status, COUNT(*) FROM domain_dns_records GROUP BY status ORDER BY status");
            Assert.That(byStatus, Is.EqualTo(new[] { ("active", 1L), ("error", 1L), ("pending", 1L) }));
        });
    }

    [Test]
    public async Task Seed_rows_get_utc_timestamps_and_the_seed_defaults()
    {
        await using var db = new MySqlConnection(_connectionString);
        await db.ExecuteAsync("INSERT INTO domains (domain, status) VALUES ('example.org', 'active')");
        await db.ExecuteAsync("INSERT INTO domain_dns_records (domain_id, type, name, value) VALUES (1, 'A', '@', '192.0.2.1')");
        var row = await db.QuerySingleAsync<(int Ttl, bool Proxied, string Status, string DesiredState, int RetryCount, long Version, DateTime CreatedAt)>(
            "SELECT ttl, proxied, status, desired_state, retry_count, version, created_at FROM domain_dns_records");
        var utcNow = await db.ExecuteScalarAsync<DateTime>("SELECT UTC_TIMESTAMP(6)");
        Assert.That(row, Is.EqualTo((120, false, "pending", "present", 0, 1L, row.CreatedAt)));
        Assert.That(row.CreatedAt, Is.EqualTo(utcNow).Within(TimeSpan.FromMinutes(1)));
    }

    [Test]
    public async Task A_second_identical_present_row_is_rejected_even_with_a_2048_char_value()
    {
        await using var db = new MySqlConnection(_connectionString);
        await db.ExecuteAsync("INSERT INTO domains (domain) VALUES ('example.com')");
        var value = new string('x', 2000) + "-" + new string('y', 47);
        Assert.That(value, Has.Length.EqualTo(2048));
        const string Insert = "INSERT INTO domain_dns_records (domain_id, type, name, value) VALUES (1, 'TXT', 'long', @value)";
        await db.ExecuteAsync(Insert, new { value });

        var duplicate = Assert.ThrowsAsync<MySqlException>(() => db.ExecuteAsync(Insert, new { value }));
        Assert.That(duplicate!.ErrorCode, Is.EqualTo(MySqlErrorCode.DuplicateKeyEntry));

        // A value differing only in its last character is another record.
        await db.ExecuteAsync(Insert, new { value = value[..^1] + "z" });

        await db.ExecuteAsync("UPDATE domain_dns_records SET desired_state = 'absent' WHERE value = @value", new { value });
        await db.ExecuteAsync(Insert, new { value });
        // Absent duplicates are allowed: a second delete of a re-created record must not collide.
        await db.ExecuteAsync("UPDATE domain_dns_records SET desired_state = 'absent' WHERE value = @value", new { value });
        await db.ExecuteAsync(Insert, new { value });

        var counts = await db.QueryAsync<(string State, long Count)>(
            "SELECT desired_state, COUNT(*) FROM domain_dns_records WHERE value = @value GROUP BY desired_state ORDER BY desired_state", new { value });
        Assert.That(counts, Is.EqualTo(new[] { ("absent", 2L), ("present", 1L) }));
    }

    [Test]
    public async Task Values_longer_than_2048_chars_are_refused_by_the_column()
    {
        await using var db = new MySqlConnection(_connectionString);
        await db.ExecuteAsync("SET SESSION sql_mode = 'STRICT_ALL_TABLES'; INSERT INTO domains (domain) VALUES ('example.com')");
        Assert.ThrowsAsync<MySqlException>(() => db.ExecuteAsync(
            "SET SESSION sql_mode = 'STRICT_ALL_TABLES'; INSERT INTO domain_dns_records (domain_id, type, name, value) VALUES (1, 'TXT', 'x', @value)",
            new { value = new string('x', 2049) }));
    }

    private async Task<Dictionary<string, string>> SchemaAsync()
    {
        await using var db = new MySqlConnection(_connectionString);
        var tables = await db.QueryAsync<string>(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name <> 'VersionInfo'");
        var schema = new Dictionary<string, string>();
        foreach (var table in tables)
        {
            var create = await db.QuerySingleAsync<(string Table, string Sql)>($"SHOW CREATE TABLE `{table}`");
            // AUTO_INCREMENT counters are data, not schema.
            schema[table] = System.Text.RegularExpressions.Regex.Replace(create.Sql, @" AUTO_INCREMENT=\d+", "");
        }
        return schema;
    }
}

public sealed class SchemaVersionTests
{
    [Test]
    public void Shared_schema_version_is_the_newest_migration() =>
        Assert.That(Migrator.LatestVersion, Is.EqualTo(DnsSync.Shared.Data.SchemaVersion.Latest),
            "update SchemaVersion.Latest in shared/Data when adding a migration");
}
