namespace DnsSync.Worker.Auditing;

/// <summary>
/// Stops an audit that would change much of a zone at once (a restore of an old database, a binding to the wrong zone,
/// a mass deletion by hand): it applies nothing and waits for a person to confirm through the api.
/// </summary>
internal static class AuditBrake
{
    /// <summary>Zones with fewer managed records are never halted: a few changes there are a large share by nature.</summary>
    public const int MinManagedRecords = 10;

    /// <param name="changes">Repairs, re-creations and deletions the audit would make.</param>
    /// <param name="managed">The zone's present rows.</param>
    /// <param name="maxRatio">DnsWorker:AuditMaxChangeRatio.</param>
    /// <param name="confirmedChanges">The changes of the halted audit a person confirmed (null: none confirmed). A confirm
    /// releases an audit with at most that many changes; if more changes are due now, it halts again with the new counts.</param>
    public static bool Halts(int changes, int managed, double maxRatio, int? confirmedChanges) =>
        managed >= MinManagedRecords && changes > maxRatio * managed && !(confirmedChanges is { } confirmed && changes <= confirmed);
}
