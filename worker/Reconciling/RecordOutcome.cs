namespace DnsSync.Worker.Reconciling;

/// <summary>What reconciling one claimed row decided; <see cref="SyncPass"/> writes it back.</summary>
internal sealed record RecordOutcome
{
    public required OutcomeKind Kind { get; init; }

    /// <summary>create, update, adopt, noop, delete or remove (removed without a provider call).</summary>
    public required string Action { get; init; }

    /// <summary>The remote record the row now corresponds to (null: none, or gone).</summary>
    public string? ProviderRecordId { get; init; }

    public string? Error { get; init; }

    public TimeSpan RetryAfter { get; init; }

    /// <summary>HTTP status of the last provider answer (null when none was made or none arrived).</summary>
    public int? ProviderStatus { get; init; }

    /// <summary>
    /// True when a create during this claim may have been applied (success, 5xx or no answer). When false, the
    /// claim is not counted in attempt_count, so a later claim need not look the record up first.
    /// </summary>
    public bool MayHaveCreated { get; init; }
}

internal enum OutcomeKind
{
    /// <summary>Present row matches the provider: becomes active.</summary>
    Synced,

    /// <summary>Absent row's record is gone: the row is deleted.</summary>
    Removed,

    /// <summary>Error with backoff.</summary>
    Failed,

    /// <summary>429 or our own budget: pending again after Retry-After, retry_count unchanged.</summary>
    RateLimited,

    /// <summary>Not finished (shutdown or lease running out): lease released, the row is due again.</summary>
    Released,
}
