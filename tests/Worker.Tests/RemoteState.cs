using Dapper;
using DnsSync.Shared.Records;
using DnsSync.Testing;
using MySqlConnector;

namespace DnsSync.Worker.Tests;

/// <summary>The end-of-test remote check the worker tests share: no stale duplicate (<see cref="StaleDuplicates"/>).</summary>
internal static class RemoteState
{
    /// <summary>Stale copies at the emulator: records carrying a row's marker that the row does not point at, second records at a row's name.</summary>
    public static async Task<IReadOnlyList<string>> StaleDuplicatesAsync(this WorkerHarness h)
    {
        await using var connection = new MySqlConnection(h.ConnectionString);
        var rows = await connection.QueryAsync<(long Id, string Type, string Name, string? ProviderRecordId, string DesiredState)>(
            "SELECT id, type, name, provider_record_id, desired_state FROM domain_dns_records");
        return StaleDuplicates.Find(
            rows.Select(r => new IntentRow(r.Id, r.Type, RecordRules.ToFqdn(WorkerHarness.Zone, r.Name), r.ProviderRecordId, r.DesiredState == DesiredState.Present)),
            h.Remote().Select(r => new RemoteRecord(r.Id, r.Type, r.Name, r.Comment)));
    }

    public static async Task AssertNoStaleDuplicatesAsync(this WorkerHarness h)
    {
        var stale = await h.StaleDuplicatesAsync();
        Assert.That(stale, Is.Empty, "stale duplicates at the provider:\n" + string.Join("\n", stale));
    }
}
