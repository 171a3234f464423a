using DnsSync.Shared.Audits;
using DnsSync.Worker.Cloudflare;

namespace DnsSync.Worker.Auditing;

/// <summary>What one audit found.</summary>
internal sealed class AuditFindings
{
    public int RemoteRecords { get; init; }

    /// <summary>The domain's present rows (what the brake compares changes with).</summary>
    public int ManagedRecords { get; init; }

    public int InSync { get; set; }

    /// <summary>Rows, and records they may touch, being changed while the audit ran: left to the worker's sync.</summary>
    public int Unjudged { get; set; }

    private readonly List<Finding> all = [];

    /// <summary>Every difference other than in sync, in the order found.</summary>
    public IEnumerable<Finding> Differences => all.Where(f => !f.Unjudged);

    public void Add(Finding finding) => all.Add(finding);

    public int Count(string kind) => Differences.Count(f => f.Kind == kind);

    /// <summary>The domain's rows as the audit read them.</summary>
    public IReadOnlyList<AuditRow> Rows { get; set; } = [];

    /// <summary>
    /// The last_error each settled active row should now carry about records not ours at its name: the report of a
    /// blocking record, or none (null) where an earlier report no longer holds. Only rows whose text changes.
    /// </summary>
    public IEnumerable<(AuditRow Row, string? Error)> ReportsOnRows(DateTime listedAt)
    {
        var reports = new Dictionary<long, (AuditRow Row, string Error)>();
        foreach (var finding in Differences.Where(f => f.Kind == AuditKind.Blocking))
            foreach (var row in finding.BlockedRows.Where(r => r.IsSettled(listedAt)))
                reports.TryAdd(row.Id, (row, Shared.Records.RetryPolicy.TruncateError(finding.Detail)));
        foreach (var (row, error) in reports.Values.Where(r => r.Row.LastError != r.Error)) yield return (row, error);
        foreach (var row in Rows.Where(r => r.IsSettled(listedAt) && !reports.ContainsKey(r.Id) && r.LastError?.StartsWith(AuditMessages.BlockedPrefix, StringComparison.Ordinal) == true))
            yield return (row, null);
    }

    /// <summary>What applying would change: repairs and re-creations, and deletions when orphans are deleted.</summary>
    public int Changes(bool deleteOrphans) => Count(AuditKind.Drift) + Count(AuditKind.Missing) + (deleteOrphans ? Count(AuditKind.Orphan) : 0);
}

/// <param name="Kind">One of <see cref="AuditKind"/>.</param>
/// <param name="Remote">The remote record (null for a missing one).</param>
/// <param name="Detail">What differed, as it goes into the report (and the row's last_error for drift and blocking).</param>
internal sealed record Finding(string Kind, CloudflareDnsRecord? Remote, string Detail)
{
    /// <summary>The row concerned: the drifted or missing one, or the first a blocking record shadows.</summary>
    public AuditRow? Row { get; init; }

    /// <summary>Every row a blocking record shadows.</summary>
    public IReadOnlyList<AuditRow> BlockedRows { get; init; } = [];

    public bool Importable { get; init; }

    /// <summary>A missing row whose marked copy exists at its name: the re-creation looks it up and adopts it.</summary>
    public bool LookFirst { get; init; }

    /// <summary>Not judged after all (a copy a row being synced may adopt).</summary>
    public bool Unjudged { get; init; }

    /// <summary>One of <see cref="AuditAction"/>, set as the audit applies.</summary>
    public string Action { get; set; } = AuditAction.Report;
}
