using DnsSync.Testing;

namespace DnsSync.Worker.Tests;

/// <summary>The stale-duplicate check itself: it flags the copies the worker could leave, and nothing in sync.</summary>
public sealed class StaleDuplicatesTests
{
    private static readonly IntentRow Row = new(7, "A", "www.example.com", "r1", Present: true);

    [TestCase("dns-sync:7", true, 7L)]
    [TestCase("dns-sync:install-a:7", true, 7L)]
    [TestCase("dns-sync:a:b:12", true, 12L)]
    [TestCase("dns-sync:", false, 0L)]
    [TestCase("dns-sync:x", false, 0L)]
    [TestCase("dns-sync:-7", false, 0L)]
    [TestCase("made by hand: 7", false, 0L)]
    [TestCase(null, false, 0L)]
    public void Marker_is_read_in_both_forms(string? comment, bool parsed, long rowId)
    {
        Assert.That(StaleDuplicates.TryParseMarker(comment, out var id), Is.EqualTo(parsed));
        Assert.That(id, Is.EqualTo(rowId));
    }

    [Test]
    public void A_row_with_its_one_record_and_unrelated_records_are_not_duplicates()
    {
        var remote = new[]
        {
            new RemoteRecord("r1", "A", "www.example.com", "dns-sync:7"),
            new RemoteRecord("r2", "TXT", "www.example.com", null),
            new RemoteRecord("r3", "A", "mail.example.com", "by hand"),
        };

        Assert.That(StaleDuplicates.Find([Row], remote), Is.Empty);
    }

    [TestCase("dns-sync:7")]
    [TestCase("dns-sync:install-a:7")]
    public void A_record_with_the_rows_marker_that_the_row_does_not_point_at_is_stale(string comment)
    {
        var remote = new[]
        {
            new RemoteRecord("r1", "A", "www.example.com", "dns-sync:7"),
            new RemoteRecord("r0", "A", "elsewhere.example.com", comment),
        };

        Assert.That(StaleDuplicates.Find([Row], remote), Has.Count.EqualTo(1).And.Some.Contains("r0").And.Some.Contains("marker of row 7"));
    }

    [Test]
    public void A_marked_record_of_a_row_that_is_gone_is_stale() =>
        Assert.That(StaleDuplicates.Find([], [new RemoteRecord("r9", "A", "www.example.com", "dns-sync:7")]), Has.Count.EqualTo(1));

    [Test]
    public void A_second_unmarked_record_at_the_rows_type_and_name_is_stale()
    {
        var remote = new[]
        {
            new RemoteRecord("r1", "A", "www.example.com", "dns-sync:7"),
            new RemoteRecord("r2", "A", "WWW.example.com.", null),
        };

        Assert.That(StaleDuplicates.Find([Row], remote), Has.Count.EqualTo(1).And.Some.Contains("second record at the name of row 7"));
    }
}
