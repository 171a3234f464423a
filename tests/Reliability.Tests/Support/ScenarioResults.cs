using System.Runtime.InteropServices;
using System.Text.Json;
using DnsSync.Testing;
using MySqlConnector;

namespace DnsSync.Reliability.Tests.Support;

/// <summary>
/// Writes a scenario's measured counts to the test log and to <c>.local/reliability-results/&lt;scenario&gt;.json</c>;
/// with <c>RELIABILITY_RECORD=1</c> to <c>docs/reliability-results/</c> instead (the numbers docs/RELIABILITY.md
/// quotes), so an ordinary <c>make test</c> leaves tracked files alone. A result that cannot be written never fails the test.
/// </summary>
internal static class ScenarioResults
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerOptions.Web) { WriteIndented = true };

    public static async Task WriteAsync(string scenario, string connectionString, IReadOnlyDictionary<string, object?> counts)
    {
        var result = new Dictionary<string, object?>
        {
            ["scenario"] = scenario,
            ["date"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
            ["machine"] = $"{Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {await ServerVersionAsync(connectionString)}",
            ["result"] = counts,
        };
        var text = JsonSerializer.Serialize(result, Json);
        TestContext.Progress.WriteLine($"[reliability] {scenario}: {JsonSerializer.Serialize(counts)}");
        try
        {
            var directory = Environment.GetEnvironmentVariable("RELIABILITY_RECORD") == "1"
                ? Path.Combine(RepositoryPaths.Root, "docs", "reliability-results")
                : Path.Combine(RepositoryPaths.Root, ".local", "reliability-results");
            Directory.CreateDirectory(directory);
            await File.WriteAllTextAsync(Path.Combine(directory, scenario + ".json"), text + "\n");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TestContext.Progress.WriteLine($"[reliability] could not write the result of {scenario}: {ex.Message}");
        }
    }

    private static async Task<string> ServerVersionAsync(string connectionString)
    {
        try
        {
            await using var connection = new MySqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new MySqlCommand("SELECT VERSION()", connection);
            return $"server {await command.ExecuteScalarAsync()}";
        }
        catch (MySqlException)
        {
            return "server version unknown";
        }
    }
}
