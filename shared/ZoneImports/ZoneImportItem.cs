namespace DnsSync.Shared.ZoneImports;

/// <summary>
/// One zone an API key sees and what a zone import did (or, in a dry run, would do) with it; the worker writes a list
/// of them as JSON (camelCase) to zone_imports.result, and the api returns it.
/// </summary>
/// <param name="Name">The zone name as stored for a domain (lower case, punycode).</param>
/// <param name="ZoneId">The provider's zone id.</param>
/// <param name="Outcome">One of <see cref="ZoneImportOutcome"/>'s values.</param>
/// <param name="DomainId">The domain created, or the one that already had the name.</param>
/// <param name="Reason">Why a zone was skipped.</param>
public sealed record ZoneImportItem(string Name, string ZoneId, string Outcome, long? DomainId, string? Reason);

/// <summary>What a zone import did with a zone.</summary>
public static class ZoneImportOutcome
{
    /// <summary>A domain and its binding were created.</summary>
    public const string Created = "created";

    /// <summary>A dry run: the domain and binding would be created.</summary>
    public const string WouldCreate = "wouldCreate";

    /// <summary>A domain of that name exists already; it was left as it is.</summary>
    public const string Exists = "exists";

    /// <summary>Not imported (the name is not a valid domain, or another zone listed has it).</summary>
    public const string Skipped = "skipped";
}
