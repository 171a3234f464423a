using System.Net;

namespace DnsSync.CloudflareEmulator.Tests;

public sealed class BatchTests : EmulatorTestBase
{
    private string BatchPath => CfApi.Records(ZoneId) + "/batch";

    [Test]
    public async Task Deletes_run_before_posts_so_a_cname_can_be_replaced_by_an_address()
    {
        var cname = await Api.CreateIdAsync(ZoneId, new { type = "CNAME", name = "www", content = "target.example.net" });

        var response = await Api.SendAsync(HttpMethod.Post, BatchPath, new
        {
            posts = new[] { new { type = "A", name = "www", content = "192.0.2.1" } },
            deletes = new[] { new { id = cname } },
        });

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), () => response.Body.ToString());
        Assert.That(Server.Records(ZoneId).Select(r => r.Type), Is.EqualTo(new[] { "A" }));
        Assert.That(response.Result.GetProperty("deletes")[0].GetProperty("id").GetString(), Is.EqualTo(cname));
        Assert.That(response.Result.GetProperty("posts")[0].GetProperty("content").GetString(), Is.EqualTo("192.0.2.1"));
    }

    [Test]
    public async Task Puts_run_after_patches()
    {
        var id = await Api.CreateIdAsync(ZoneId, new { type = "A", name = "www", content = "192.0.2.1" });

        var response = await Api.SendAsync(HttpMethod.Post, BatchPath, new
        {
            puts = new object[] { new { id, type = "A", name = "www", content = "192.0.2.3" } },
            patches = new object[] { new { id, comment = "patched", content = "192.0.2.2" } },
        });

        var record = Server.Records(ZoneId).Single();
        Assert.That(response.Success, Is.True, () => response.Body.ToString());
        Assert.That(record.Content, Is.EqualTo("192.0.2.3"));
        Assert.That(record.Comment, Is.Null, "the put (a full replacement) ran last");
        Assert.That(response.Result.GetProperty("patches")[0].GetProperty("comment").GetString(), Is.EqualTo("patched"));
    }

    [Test]
    public async Task Each_list_runs_in_the_order_given()
    {
        var response = await Api.SendAsync(HttpMethod.Post, BatchPath, new
        {
            posts = new[]
            {
                new { type = "A", name = "www", content = "192.0.2.1" },
                new { type = "A", name = "www", content = "192.0.2.1" },
            },
        });

        Assert.That(response.Codes, Is.EqualTo(new[] { 81058 }), "the second post duplicates the first");
        Assert.That(Server.Records(ZoneId), Is.Empty);
    }

    [Test]
    public async Task A_failing_change_applies_nothing()
    {
        var keep = await Api.CreateIdAsync(ZoneId, new { type = "A", name = "keep", content = "192.0.2.1" });
        var patchMe = await Api.CreateIdAsync(ZoneId, new { type = "A", name = "patch", content = "192.0.2.1" });
        var before = Server.Records(ZoneId);

        var response = await Api.SendAsync(HttpMethod.Post, BatchPath, new
        {
            deletes = new[] { new { id = keep } },
            patches = new object[] { new { id = patchMe, content = "192.0.2.7" } },
            posts = new object[]
            {
                new { type = "A", name = "new", content = "192.0.2.1" },
                new { type = "A", name = "bad", content = "not-an-ip" },
            },
        });

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Codes, Does.Contain(9005));
        Assert.That(Server.Records(ZoneId), Is.EqualTo(before));
    }

    [Test]
    public async Task Unknown_id_in_a_batch_answers_81044_and_applies_nothing()
    {
        var id = await Api.CreateIdAsync(ZoneId, new { type = "A", name = "www", content = "192.0.2.1" });

        var response = await Api.SendAsync(HttpMethod.Post, BatchPath, new
        {
            deletes = new[] { new { id }, new { id = Guid.NewGuid().ToString("N") } },
        });

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(response.Codes, Is.EqualTo(new[] { 81044 }));
        Assert.That(Server.Records(ZoneId), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Result_lists_every_kind_with_full_records()
    {
        var response = await Api.SendAsync(HttpMethod.Post, BatchPath, new { posts = new[] { new { type = "TXT", name = "t", content = "v" } } });

        Assert.That(response.Result.GetProperty("deletes").GetArrayLength(), Is.Zero);
        Assert.That(response.Result.GetProperty("patches").GetArrayLength(), Is.Zero);
        Assert.That(response.Result.GetProperty("puts").GetArrayLength(), Is.Zero);
        var post = response.Result.GetProperty("posts")[0];
        Assert.That(post.GetProperty("id").GetString(), Does.Match("^[0-9a-f]{32}$"));
        Assert.That(post.GetProperty("name").GetString(), Is.EqualTo("t.example.com"));
        Assert.That(post.TryGetProperty("created_on", out _), Is.True);
    }

    [Test]
    public async Task Batch_over_the_configured_limit_is_refused()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { BatchLimit = 2 });
        var zoneId = server.AddZone(Zone, Token);
        using var http = new HttpClient { BaseAddress = server.BaseUrl };
        var posts = Enumerable.Range(0, 3).Select(i => new { type = "A", name = $"h{i}", content = "192.0.2.1" }).ToArray();

        var response = await new CfApi(http, Token).SendAsync(HttpMethod.Post, CfApi.Records(zoneId) + "/batch", new { posts });

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Codes, Is.EqualTo(new[] { 81063 }));
        Assert.That(server.Records(zoneId), Is.Empty);
    }
}
