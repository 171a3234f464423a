namespace DnsSync.Worker.Auditing;

/// <summary>The names of a provider zone's listing that belong to a domain: its own, less those of other domains bound to the same zone below it.</summary>
internal sealed record AuditScope(string Zone, IReadOnlyList<string> Subzones)
{
    public bool Contains(string name)
    {
        var fqdn = name.TrimEnd('.').ToLowerInvariant();
        return Within(fqdn, Zone) && !Subzones.Any(sub => Within(fqdn, sub));
    }

    private static bool Within(string fqdn, string zone) => fqdn == zone || fqdn.EndsWith("." + zone, StringComparison.Ordinal);
}
