using System.Text.Json;
using DnsSync.Api.Records;

namespace DnsSync.Api.Tests;

/// <summary>Keyset paging next to page numbers, and totals that are exact for small filters and cached for large ones.</summary>
public sealed class ListPagingTests : ApiTestBase
{
    [Test]
    public async Task Following_next_cursors_visits_every_row_once_newest_first_and_ends_with_null()
    {
        var (domainId, _) = await SeedZoneAsync();
        var ids = new List<long>();
        for (var i = 0; i < 7; i++) ids.Add((await CreateRecordAsync(domainId, "TXT", "page", $"v{i}")).AssertOk().Data.GetProperty("id").GetInt64());
        ids.Reverse();

        var seen = new List<long>();
        var path = $"/api/v1/dns/records?domainId={domainId}&pageSize=3";
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = (await GetAsync(path + (cursor is null ? "" : $"&after={cursor}"))).AssertOk().Data;
            Assert.That(page.GetProperty("total").GetInt64(), Is.EqualTo(7));
            Assert.That(page.GetProperty("totalExact").GetBoolean(), Is.True);
            seen.AddRange(Ids(page));
            cursor = page.GetProperty("nextCursor").ValueKind == JsonValueKind.Null ? null : page.GetProperty("nextCursor").GetString();
            pages++;
        } while (cursor is not null && pages < 10);

        Assert.That(seen, Is.EqualTo(ids));
        Assert.That(pages, Is.EqualTo(3));
        // Page numbers still work, and answer the cursor of the page after them.
        var second = (await GetAsync(path + "&page=2")).AssertOk().Data;
        Assert.That(Ids(second), Is.EqualTo(ids.Skip(3).Take(3)));
        Assert.That(second.GetProperty("nextCursor").GetString(), Is.EqualTo(ids[5].ToString()));
        var last = (await GetAsync(path + "&page=3")).AssertOk().Data;
        Assert.That(last.GetProperty("nextCursor").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    [Test]
    public async Task A_cursor_keeps_its_place_when_newer_rows_arrive()
    {
        var (domainId, _) = await SeedZoneAsync();
        for (var i = 0; i < 4; i++) (await CreateRecordAsync(domainId, "TXT", "stable", $"v{i}")).AssertOk();
        var first = (await GetAsync($"/api/v1/dns/records?domainId={domainId}&pageSize=2")).AssertOk().Data;
        (await CreateRecordAsync(domainId, "TXT", "stable", "newer")).AssertOk();
        var next = (await GetAsync($"/api/v1/dns/records?domainId={domainId}&pageSize=2&after={first.GetProperty("nextCursor").GetString()}")).AssertOk().Data;
        Assert.That(Ids(next).Max(), Is.LessThan(Ids(first).Min()), "no row of the first page again, and the new row is not squeezed in");
        Assert.That(Ids(next), Has.Length.EqualTo(2));
    }

    [Test]
    public async Task Bad_cursors_and_cursor_with_page_are_400()
    {
        (await GetAsync("/api/v1/dns/records?after=abc")).AssertInvalid("after", "nextCursor");
        (await GetAsync("/api/v1/dns/records?after=0")).AssertInvalid("after", "nextCursor");
        (await GetAsync("/api/v1/dns/records?after=10&page=2")).AssertInvalid("page", "cannot be combined");
        (await GetAsync("/api/v1/domains?after=x")).AssertInvalid("after", "nextCursor");
    }

    [Test]
    public async Task Other_lists_page_by_cursor_too()
    {
        for (var i = 0; i < 3; i++) await CreateDomainAsync(NewZone());
        var first = (await GetAsync("/api/v1/domains?pageSize=2")).AssertOk().Data;
        var next = (await GetAsync($"/api/v1/domains?pageSize=2&after={first.GetProperty("nextCursor").GetString()}")).AssertOk().Data;
        Assert.That(Ids(next).Max(), Is.LessThan(Ids(first).Min()));
    }

    [Test]
    public async Task A_filter_larger_than_the_exact_limit_is_counted_once_and_then_served_from_cache()
    {
        var (domainId, _) = await SeedZoneAsync();
        var rows = RecordTotals.ExactUpTo + 5;
        await ExecAsync($"""
            INSERT INTO domain_dns_records (domain_id, type, name, value, status, owner_type, owner_id)
            SELECT @domainId, 'TXT', CONCAT('bulk-', n), 'v', 'active', 'external', 1
            FROM (SELECT a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d AS n
                  FROM (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) a,
                       (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) b,
                       (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) c,
                       (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) e,
                       (SELECT 0 d UNION ALL SELECT 1) f) seq
            WHERE n < {rows}
            """, new { domainId });
        var path = $"/api/v1/dns/records?domainId={domainId}&pageSize=5";

        var first = (await GetAsync(path)).AssertOk().Data;
        Assert.That(first.GetProperty("total").GetInt64(), Is.EqualTo(rows), "counted in full the first time");
        Assert.That(first.GetProperty("totalExact").GetBoolean(), Is.True);

        (await CreateRecordAsync(domainId, "TXT", "one-more", "v")).AssertOk();
        var cached = (await GetAsync(path + $"&after={first.GetProperty("nextCursor").GetString()}")).AssertOk().Data;
        Assert.That(cached.GetProperty("total").GetInt64(), Is.EqualTo(rows), "the cached total, not a recount");
        Assert.That(cached.GetProperty("totalExact").GetBoolean(), Is.False, "marked as possibly old");
        Assert.That(Ids(cached), Has.Length.EqualTo(5));

        // A small filter inside the same domain is exact and current.
        var small = (await GetAsync($"/api/v1/dns/records?domainId={domainId}&name=one-more")).AssertOk().Data;
        Assert.That(small.GetProperty("total").GetInt64(), Is.EqualTo(1));
        Assert.That(small.GetProperty("totalExact").GetBoolean(), Is.True);
    }

    private static long[] Ids(JsonElement page) => page.GetProperty("list").EnumerateArray().Select(e => e.GetProperty("id").GetInt64()).ToArray();
}
