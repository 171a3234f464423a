namespace DnsSync.Worker.Reconciling;

/// <summary>What reconciling one claimed row decided; <see cref="SyncPass"/> writes it back.</summary>
internal sealed record RecordOutcome
{
    public required OutcomeKind Kind { get; init; }

    /// <summary>create, update, adopt, noop, delete or remove (removed without a provider call).</summary>
    public required string Action { get; init; }

    /// <summary>The remote record the row now corresponds to (null: none, or gone).</summary>
    public string? ProviderRecordId { get; init; }

    /// <summary>The failure, or what a deferred row waits for.</summary>
    public string? Error { get; init; }

    /// <summary>How long a deferred row waits.</summary>
    public TimeSpan RetryAfter { get; init; }

    /// <summary>HTTP status of the last provider answer (null when none was made or none arrived).</summary>
    public int? ProviderStatus { get; init; }

    /// <summary>
    /// True when remote records for the row may exist that <see cref="ProviderRecordId"/> does not name: a create
    /// that may have been applied (a success, a 5xx, a 2xx without a usable record, no answer), or a cleanup of
    /// extra copies cut short. The next attempt then looks the record up first.
    /// </summary>
    public bool RemoteUncertain { get; init; }
}

internal enum OutcomeKind
{
    /// <summary>Present row matches the provider: becomes active.</summary>
    Synced,

    /// <summary>Absent row's record is gone: the row is deleted.</summary>
    Removed,

    /// <summary>Error with backoff.</summary>
    Failed,

    /// <summary>Not the record's fault (429, spent request budget, inactive target): pending again later, retry_count unchanged.</summary>
    Deferred,

    /// <summary>Not finished (shutdown or lease running out): lease released, the row is due again.</summary>
    Released,
}
