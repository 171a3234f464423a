using System.Diagnostics;
using System.Net.Http.Json;
using Dapper;
using DnsSync.Reliability.Tests.Support;
using DnsSync.Testing;
using MySqlConnector;

namespace DnsSync.Reliability.Tests;

/// <summary>
/// Scenario 20: three worker processes audit three zones every second while intent changes through the api and
/// records are edited, deleted and left behind by hand at the provider. Every hand change must be set right by an
/// audit and the normal sync path, nothing lost or duplicated, and no zone audited by two workers at once.
/// </summary>
public sealed class AuditTests
{
    private const int RecordsPerZone = 80;
    private static readonly string[] Zones = ["example.com", "audit-b.example.net", "audit-c.example.net"];
    private static readonly TimeSpan ChurnFor = TimeSpan.FromSeconds(20);

    [Test]
    public async Task Audits_on_three_workers_during_changes_and_hand_edits_lose_nothing_duplicate_nothing_and_never_overlap()
    {
        var seed = Scenario.Seed();
        TestContext.Progress.WriteLine($"[reliability] audit scenario seed {seed}");
        var random = new Random(seed);
        var environment = Scenario.WorkerEnvironment(batchSize: 20);
        environment["DnsWorker__AuditIntervalSec"] = "1";
        // Deleting orphans exercises the audit's own provider requests beside the workers' syncs. The brake is off: a
        // burst of hand changes between two audits must not stop the scenario (the brake has its own tests).
        environment["DnsWorker__DeleteOrphans"] = "true";
        environment["DnsWorker__AuditMaxChangeRatio"] = "1";
        await using var stack = await LocalStack.StartAsync(new LocalStackOptions
        {
            LogDirectory = Scenario.LogDirectory("audit"),
            ExtraZones = Zones[1..],
            EmulatorArgs = Scenario.EmulatorArgs,
            WorkerEnvironment = environment,
            Workers = 0,
        });
        await InstallZoneLeaseAuditAsync(stack);
        await Scenario.InstallLeaseAuditAsync(stack);
        for (var i = 0; i < 3; i++) stack.StartWorker();
        var total = Stopwatch.StartNew();

        var rows = new List<(long Id, string Zone, RecordSpec Spec, int Index)>();
        foreach (var zone in Zones)
        {
            var specs = Enumerable.Range(0, RecordsPerZone).Select(i => Scenario.Spec(i, "aud")).ToList();
            var ids = await Scenario.CreateAsync(stack.ApiClient, stack.Zones[zone].DomainId, specs);
            rows.AddRange(ids.Select((id, i) => (id, zone, specs[i], i)));
        }
        await Scenario.EventuallyAsync(async () => await Scenario.CountAsync(stack, "status = 'active'") >= rows.Count / 2,
            TimeSpan.FromSeconds(60), "half the records active");

        // Churn: intent changes through the api and hand changes at the provider, interleaved, for a while.
        var hand = new HandChanges(stack, random);
        var deleted = new HashSet<long>();
        var updates = 0;
        var churn = Stopwatch.StartNew();
        while (churn.Elapsed < ChurnFor)
        {
            var (id, _, spec, index) = rows[random.Next(rows.Count)];
            if (!deleted.Contains(id))
            {
                if (random.Next(8) == 0)
                {
                    await Scenario.DeleteAsync(stack.ApiClient, [id]);
                    deleted.Add(id);
                }
                else
                {
                    await Scenario.UpdateAsync(stack.ApiClient, [(id, Scenario.NewValue(spec, index + 50 * (++updates % 1_000)))]);
                }
            }
            await hand.OneAsync(Zones[random.Next(Zones.Length)]);
            await Task.Delay(random.Next(20, 120));
        }
        var churnEnded = total.Elapsed;

        // Every hand change is set right by an audit and the sync that follows: the provider equals the intent.
        var expected = rows.Count - deleted.Count;
        StateCheck check;
        var repair = Stopwatch.StartNew();
        do
        {
            check = await Scenario.CompareAsync(stack);
            if (check.Problems.Count == 0 && check.Rows == expected) break;
            await Task.Delay(500);
        }
        while (repair.Elapsed < TimeSpan.FromSeconds(120));

        var zoneLeases = await ReadZoneLeaseAuditAsync(stack);
        var recordLeases = await Scenario.ReadLeaseAuditAsync(stack);
        var audits = await AuditTotalsAsync(stack);
        await ScenarioResults.WriteAsync("20-audit", stack.ConnectionString, new Dictionary<string, object?>
        {
            ["seed"] = seed,
            ["workers"] = stack.Workers.Count,
            ["zones"] = Zones.Length,
            ["recordsCreated"] = rows.Count,
            ["recordsDeletedThroughTheApi"] = deleted.Count,
            ["valueChangesThroughTheApi"] = updates,
            ["handEdits"] = hand.Edits,
            ["handDeletes"] = hand.Deletes,
            ["orphansLeftByHand"] = hand.Orphans,
            ["auditsCompleted"] = audits.Completed,
            ["auditsByWorker"] = zoneLeases.ClaimsByInstance,
            ["driftFoundByAudits"] = audits.Drift,
            ["missingFoundByAudits"] = audits.Missing,
            ["repairsSentByAudits"] = audits.Repaired,
            ["recreationsSentByAudits"] = audits.Recreated,
            ["orphansDeletedByAudits"] = audits.OrphansDeleted,
            ["auditsHalted"] = audits.Halted,
            ["auditsOfOneZoneAtOnce"] = zoneLeases.ClaimsOfLiveLeases,
            ["takeoversOfExpiredAuditLeases"] = zoneLeases.TakeoversOfExpiredLeases,
            ["claimsOfLiveRecordLeases"] = recordLeases.ClaimsOfLiveLeases,
            ["rowsActive"] = await Scenario.CountAsync(stack, "status = 'active'"),
            ["remoteRecords"] = check.RemoteRecords,
            ["duplicates"] = check.Duplicates,
            ["mismatches"] = check.Problems.Count,
            ["secondsToRepairAfterTheChurn"] = Math.Round(repair.Elapsed.TotalSeconds, 1),
            ["secondsTotal"] = Math.Round(total.Elapsed.TotalSeconds, 1),
        });

        Scenario.AssertMatches(check, expected);
        Assert.Multiple(() =>
        {
            Assert.That(zoneLeases.ClaimsOfLiveLeases, Is.Zero, "no worker took a zone's audit lease while another held it");
            Assert.That(zoneLeases.TakeoversOfExpiredLeases, Is.Zero, "no audit outlived its lease");
            Assert.That(zoneLeases.ClaimsByInstance, Has.Count.EqualTo(3), "all three workers audited");
            Assert.That(recordLeases.ClaimsOfLiveLeases, Is.Zero);
            Assert.That(hand.Edits, Is.GreaterThan(5), "hand edits really happened");
            Assert.That(hand.Deletes, Is.GreaterThan(2), "hand deletes really happened");
            Assert.That(hand.Orphans, Is.GreaterThan(2), "orphans were really left");
            Assert.That(audits.Repaired, Is.GreaterThan(0), "audits sent drifted rows back for repair");
            Assert.That(audits.Recreated, Is.GreaterThan(0), "audits sent rows deleted by hand back for re-creation");
            Assert.That(audits.OrphansDeleted, Is.GreaterThan(0), "audits deleted orphans");
            Assert.That(stack.Workers.All(w => !w.HasExited), Is.True);
            Assert.That(churnEnded, Is.GreaterThan(ChurnFor));
        });
    }

    /// <summary>Hand changes at the provider with the zone's token, as a person in the dashboard: edits, deletions, orphans.</summary>
    private sealed class HandChanges(LocalStack stack, Random random)
    {
        private readonly HttpClient http = new() { BaseAddress = stack.EmulatorUrl, DefaultRequestHeaders = { Authorization = new("Bearer", LocalStack.CloudflareToken) } };
        private string? installation;

        public int Edits { get; private set; }
        public int Deletes { get; private set; }
        public int Orphans { get; private set; }

        public async Task OneAsync(string zone)
        {
            var zoneId = stack.Zones[zone].ZoneId;
            var ours = (await stack.RemoteRecordsAsync(zone)).Where(r => r!["comment"]?.GetValue<string>()?.StartsWith("dns-sync:", StringComparison.Ordinal) == true).ToList();
            if (ours.Count == 0) return;
            var record = ours[random.Next(ours.Count)]!;
            var id = record["id"]!.GetValue<string>();
            switch (random.Next(6))
            {
                case 0:
                    if ((await http.DeleteAsync($"zones/{zoneId}/dns_records/{id}")).IsSuccessStatusCode) Deletes++;
                    break;
                case 1:
                    installation ??= await InstallationAsync();
                    var orphan = await http.PostAsJsonAsync($"zones/{zoneId}/dns_records",
                        new { type = "TXT", name = $"left-behind-{random.Next(1_000_000)}", content = "\"hand\"", ttl = 300, comment = $"dns-sync:{installation}:{900_000 + random.Next(100_000)}" });
                    if (orphan.IsSuccessStatusCode) Orphans++;
                    break;
                default:
                    if ((await http.PatchAsJsonAsync($"zones/{zoneId}/dns_records/{id}", Edit(record["type"]!.GetValue<string>(), record["proxied"]!.GetValue<bool>()))).IsSuccessStatusCode) Edits++;
                    break;
            }
        }

        private object Edit(string type, bool proxied) => type switch
        {
            "A" => new { content = $"203.0.113.{random.Next(1, 250)}" },
            "AAAA" => new { content = $"2001:db8:ffff::{random.Next(1, 65535):x}" },
            "TXT" => (object)new { content = "\"edited by hand\"", ttl = 3600 },
            _ => proxied ? new { proxied = false } : new { content = $"hand-{random.Next(1000)}.example.net" },
        };

        private async Task<string> InstallationAsync()
        {
            await using var connection = new MySqlConnection(stack.ConnectionString);
            return await connection.ExecuteScalarAsync<string>("SELECT installation_id FROM installation WHERE id = 1") ?? "";
        }
    }

    /// <summary>Records every change of a zone's audit lease holder with the lease it replaced (as the record lease audit does for rows).</summary>
    private static async Task InstallZoneLeaseAuditAsync(LocalStack stack)
    {
        await using var connection = new MySqlConnection(stack.ConnectionString);
        await connection.ExecuteAsync("""
            CREATE TABLE zone_lease_audit (
                id         BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
                domain_id  BIGINT      NOT NULL,
                old_holder VARCHAR(64) NULL,
                old_until  DATETIME(6) NULL,
                new_holder VARCHAR(64) NULL,
                at         DATETIME(6) NOT NULL
            );
            CREATE TRIGGER zone_lease_audit_update AFTER UPDATE ON zone_audits FOR EACH ROW
                INSERT INTO zone_lease_audit (domain_id, old_holder, old_until, new_holder, at)
                SELECT NEW.domain_id, OLD.locked_by, OLD.locked_until, NEW.locked_by, UTC_TIMESTAMP(6)
                FROM DUAL WHERE NOT (OLD.locked_by <=> NEW.locked_by);
            CREATE TABLE audit_outcomes (
                id              BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
                domain_id       BIGINT      NOT NULL,
                outcome         VARCHAR(16) NULL,
                drift           INT         NULL,
                missing         INT         NULL,
                repaired        INT         NULL,
                recreated       INT         NULL,
                orphans_deleted INT         NULL
            );
            CREATE TRIGGER audit_outcomes_update AFTER UPDATE ON zone_audits FOR EACH ROW
                INSERT INTO audit_outcomes (domain_id, outcome, drift, missing, repaired, recreated, orphans_deleted)
                SELECT NEW.domain_id, NEW.outcome, NEW.drift, NEW.missing, NEW.repaired, NEW.recreated, NEW.orphans_deleted
                FROM DUAL WHERE NOT (OLD.finished_at <=> NEW.finished_at);
            """);
    }

    private static async Task<LeaseAudit> ReadZoneLeaseAuditAsync(LocalStack stack)
    {
        await using var connection = new MySqlConnection(stack.ConnectionString);
        var claims = (await connection.QueryAsync<(string Holder, string? OldHolder, bool Live)>("""
            SELECT new_holder, old_holder, COALESCE(old_until > at, 0)
            FROM zone_lease_audit WHERE new_holder IS NOT NULL
            """)).ToList();
        return new LeaseAudit(
            claims.Count,
            claims.Count(c => c.OldHolder is not null && c.Live),
            claims.Count(c => c.OldHolder is not null && !c.Live),
            claims.GroupBy(c => c.Holder).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            new Dictionary<string, int>());
    }

    /// <summary>What the completed audits found and did, summed from what each wrote (recorded by a trigger).</summary>
    private static async Task<(int Completed, int Halted, int Drift, int Missing, int Repaired, int Recreated, int OrphansDeleted)> AuditTotalsAsync(LocalStack stack)
    {
        await using var connection = new MySqlConnection(stack.ConnectionString);
        return await connection.QuerySingleAsync<(int, int, int, int, int, int, int)>("""
            SELECT COUNT(*), COALESCE(SUM(outcome = 'halted'), 0), COALESCE(SUM(drift), 0), COALESCE(SUM(missing), 0),
                   COALESCE(SUM(repaired), 0), COALESCE(SUM(recreated), 0), COALESCE(SUM(orphans_deleted), 0)
            FROM audit_outcomes
            """);
    }
}
