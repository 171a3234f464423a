using DnsSync.Benchmarks.Harness;

namespace DnsSync.Benchmarks.Tests;

public sealed class StateAuditTests
{
    private static AuditRow Row(long id, string? pid, string status = "active", bool synced = true, string value = "10.0.0.1") =>
        new(id, "A", $"r{id}.example.com", value, status, Present: true, synced, pid);

    private static AuditRemote Remote(string id, long owner, string content = "10.0.0.1") =>
        new(id, "A", $"r{owner}.example.com", content, $"dns-sync:inst:{owner}");

    [Test]
    public void Rows_active_on_their_records_are_clean()
    {
        var audit = StateAudit.Of([Row(1, "a"), Row(2, "b")], [Remote("a", 1), Remote("b", 2)]);
        Assert.That(audit, Has.Property(nameof(StateAudit.Clean)).True.And.Property(nameof(StateAudit.Examples)).Empty);
    }

    [Test]
    public void A_second_record_marked_for_a_row_is_a_duplicate_and_an_orphan()
    {
        var audit = StateAudit.Of([Row(1, "a")], [Remote("a", 1), Remote("copy", 1)]);
        Assert.Multiple(() =>
        {
            Assert.That((audit.Duplicates, audit.Orphans, audit.Stuck, audit.Wrong), Is.EqualTo((1, 1, 0, 0)));
            Assert.That(audit.Clean, Is.False);
            Assert.That(audit.Examples, Has.Some.Contains("copy"));
        });
    }

    [Test]
    public void A_record_no_row_points_at_is_an_orphan()
    {
        var stranger = new AuditRemote("x", "A", "elsewhere.example.com", "10.9.9.9", null);
        var audit = StateAudit.Of([Row(1, "a")], [Remote("a", 1), stranger]);
        Assert.That((audit.Duplicates, audit.Orphans), Is.EqualTo((0, 1)));
    }

    [Test]
    public void Rows_not_active_or_with_their_current_version_unapplied_are_stuck()
    {
        var audit = StateAudit.Of([Row(1, null, status: "error", synced: false), Row(2, "b", status: "active", synced: false), Row(3, "c")],
            [Remote("b", 2), Remote("c", 3)]);
        Assert.That((audit.Stuck, audit.Wrong), Is.EqualTo((2, 0)));
    }

    [Test]
    public void An_active_row_whose_record_is_missing_or_has_other_content_is_wrong()
    {
        var audit = StateAudit.Of([Row(1, "gone"), Row(2, "b", value: "10.0.0.2")], [Remote("b", 2, content: "10.0.0.1")]);
        Assert.Multiple(() =>
        {
            Assert.That((audit.Wrong, audit.Stuck, audit.Orphans), Is.EqualTo((2, 0, 0)));
            Assert.That(audit.Examples, Has.Some.Contains("no remote record (gone)"));
        });
    }
}
