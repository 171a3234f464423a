namespace DnsSync.Shared.Audits;

/// <summary>
/// The classes of zone_audit_differences.kind: what an audit found for a remote record or a row other than "in sync".
/// The worker writes them, the api reads, plans and imports from them.
/// </summary>
public static class AuditKind
{
    /// <summary>Ours, changed by hand at the provider (content, TTL or proxied differ): the row is repaired.</summary>
    public const string Drift = "drift";

    /// <summary>Ours, gone at the provider: the row's record is created again.</summary>
    public const string Missing = "missing";

    /// <summary>Marked as this installation's, but no row wants it: reported, deleted only with DnsWorker:DeleteOrphans.</summary>
    public const string Orphan = "orphan";

    /// <summary>Not ours, at a name and type a row manages (or excluded by one, CNAME rules): reported on the row.</summary>
    public const string Blocking = "blocking";

    /// <summary>Not ours, at a name and type no row manages: reported; importable when of a managed type.</summary>
    public const string Unmanaged = "unmanaged";

    public static readonly IReadOnlyList<string> All = [Drift, Missing, Orphan, Blocking, Unmanaged];
}

/// <summary>What became of a difference: zone_audit_differences.action.</summary>
public static class AuditAction
{
    /// <summary>The row went back to pending to be repaired through the normal path.</summary>
    public const string Repair = "repair";

    /// <summary>The row went back to pending without its provider id, to be created again.</summary>
    public const string Recreate = "recreate";

    /// <summary>The orphan was deleted at the provider.</summary>
    public const string Delete = "delete";

    /// <summary>Reported only.</summary>
    public const string Report = "report";

    /// <summary>The audit halted at the brake: nothing applied.</summary>
    public const string Halted = "halted";

    /// <summary>The row changed while the audit ran: left to the newer intent.</summary>
    public const string Skipped = "skipped";

    /// <summary>Taken into an intent row by POST /domains/{id}/import.</summary>
    public const string Imported = "imported";
}

/// <summary>zone_audits.outcome: how the last audit of a zone ended.</summary>
public static class AuditOutcome
{
    public const string Applied = "applied";
    public const string Halted = "halted";
    public const string Failed = "failed";
}

/// <summary>The last_error texts an audit writes on rows, so other code (and people) can tell them apart.</summary>
public static class AuditMessages
{
    /// <summary>Starts the last_error of a row the audit sent back for repair or re-creation.</summary>
    public const string DriftPrefix = "drift: ";

    /// <summary>Starts the last_error of an active row a record not ours blocks or shadows; cleared once it is gone.</summary>
    public const string BlockedPrefix = "audit: ";
}
