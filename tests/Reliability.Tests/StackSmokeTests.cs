using System.Net.Http.Json;
using System.Text.Json.Nodes;
using DnsSync.Testing;

namespace DnsSync.Reliability.Tests;

/// <summary>The whole product as separate processes: a record declared through the api becomes real at the provider.</summary>
public sealed class StackSmokeTests
{
    [Test]
    public async Task A_record_created_through_the_api_turns_active_at_the_provider()
    {
        await using var stack = await LocalStack.StartAsync(new LocalStackOptions
        {
            LogDirectory = Path.Combine(TestContext.CurrentContext.WorkDirectory, "logs", nameof(StackSmokeTests)),
        });
        var domainId = stack.Zones["example.com"].DomainId;
        using var created = await stack.ApiClient.PostAsJsonAsync("api/v1/dns/records/create",
            new { domainId, type = "A", name = "www", value = "192.0.2.10", ttl = 300, ownerType = "external", ownerId = 1 });
        var id = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["data"]!["id"]!.GetValue<long>();

        JsonNode? record = null;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            record = JsonNode.Parse(await stack.ApiClient.GetStringAsync($"api/v1/dns/records/{id}"))!["data"];
            if (record!["status"]!.GetValue<string>() == "active") break;
            await Task.Delay(100);
        }

        Assert.That(record!["status"]!.GetValue<string>(), Is.EqualTo("active"), stack.Workers[0].LogTail());
        var remote = await stack.RemoteRecordsAsync();
        Assert.That(remote, Has.Count.EqualTo(1));
        Assert.That(remote[0]!["name"]!.GetValue<string>(), Is.EqualTo("www.example.com"));
        Assert.That(remote[0]!["id"]!.GetValue<string>(), Is.EqualTo(record["providerRecordId"]!.GetValue<string>()));
    }
}
