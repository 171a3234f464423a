using System.Security.Cryptography;
using System.Text;
using DnsSync.CloudflareEmulator.Auth;
using DnsSync.CloudflareEmulator.Records;

namespace DnsSync.CloudflareEmulator.Hosting;

internal sealed record ZoneInfo(string Id, string Name, DateTimeOffset CreatedOn);

/// <summary>
/// All zones, records and credentials, behind one lock: an emulator favours obviously-correct over fast.
/// </summary>
internal sealed class EmulatorState
{
    private readonly Lock gate = new();
    private readonly EmulatorOptions options;
    private readonly Dictionary<string, Zone> zones = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> tokenZones = new(StringComparer.Ordinal);
    private readonly Dictionary<string, GlobalKey> globalKeys = new(StringComparer.OrdinalIgnoreCase);
    private long sequence;

    public EmulatorState(EmulatorOptions options)
    {
        this.options = options;
        Seed();
    }

    /// <summary>
    /// Zone ids are derived from the name (and the account, when not the default one), so a restarted emulator hands
    /// out the same ids. Cloudflare lets one name exist as a zone in several accounts (a domain moving between
    /// accounts), each with its own id and records.
    /// </summary>
    public static string ZoneIdFor(string name, string? account = null) =>
        Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(account is null ? name : $"{account}/{name}")));

    public static string NormaliseZoneName(string name) => name.Trim().TrimEnd('.').ToLowerInvariant();

    public ZoneInfo AddZone(string name, string token, string? account = null)
    {
        var zoneName = NormaliseZoneName(name);
        if (zoneName.Length == 0) throw new ArgumentException("Zone name is required.", nameof(name));
        ArgumentException.ThrowIfNullOrWhiteSpace(token);
        lock (gate)
        {
            var id = ZoneIdFor(zoneName, account);
            if (!zones.TryGetValue(id, out var zone))
            {
                zone = new Zone(id, zoneName, options.TimeProvider.GetUtcNow());
                zones[id] = zone;
            }

            if (!tokenZones.TryGetValue(token, out var granted)) tokenZones[token] = granted = [];
            granted.Add(id);
            return zone.Info;
        }
    }

    public void AddGlobalKey(string email, string key, string zoneId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(email);
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        lock (gate)
        {
            if (!zones.ContainsKey(zoneId)) throw new ArgumentException($"Unknown zone '{zoneId}'.", nameof(zoneId));
            if (!globalKeys.TryGetValue(email, out var existing) || existing.Key != key)
            {
                existing = new GlobalKey(key, existing?.Zones ?? []);
                globalKeys[email] = existing;
            }

            existing.Zones.Add(zoneId);
        }
    }

    /// <summary>True when the credential exists (token known, or e-mail known with the right key).</summary>
    public bool IsKnown(Credential credential)
    {
        lock (gate) return GrantedZones(credential) is not null;
    }

    public bool CanAccess(Credential credential, string zoneId)
    {
        lock (gate) return GrantedZones(credential)?.Contains(zoneId) == true && zones.ContainsKey(zoneId);
    }

    public IReadOnlyList<ZoneInfo> ZonesFor(Credential credential)
    {
        lock (gate)
        {
            var granted = GrantedZones(credential);
            return granted is null
                ? []
                : zones.Values.Where(z => granted.Contains(z.Id)).Select(z => z.Info).OrderBy(z => z.Name, StringComparer.Ordinal).ToList();
        }
    }

    public ZoneInfo? FindZone(string zoneId)
    {
        lock (gate) return zones.TryGetValue(zoneId, out var zone) ? zone.Info : null;
    }

    /// <summary>Records in creation order, or null for an unknown zone.</summary>
    public IReadOnlyList<CloudflareRecord>? Records(string zoneId)
    {
        lock (gate)
        {
            return zones.TryGetValue(zoneId, out var zone)
                ? zone.Records.Values.OrderBy(s => s.Sequence).Select(s => s.Record).ToList()
                : null;
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> on a copy of the zone's records and commits the copy only when it reports no
    /// error: every single operation and every batch is all-or-nothing.
    /// </summary>
    public (T? Result, CfError? Error) Edit<T>(string zoneId, Func<RecordEditor, (T? Result, CfError? Error)> work)
    {
        lock (gate)
        {
            if (!zones.TryGetValue(zoneId, out var zone)) return (default, Cf.AuthenticationError());
            var working = new Dictionary<string, StoredRecord>(zone.Records, StringComparer.Ordinal);
            var now = Truncate(options.TimeProvider.GetUtcNow());
            var editor = new RecordEditor(zone.Name, working, options, now, () => ++sequence);
            var (result, error) = work(editor);
            if (error is null) zone.Records = working;
            return (result, error);
        }
    }

    public void Reset()
    {
        lock (gate)
        {
            zones.Clear();
            tokenZones.Clear();
            globalKeys.Clear();
        }

        Seed();
    }

    private void Seed()
    {
        foreach (var seed in options.Zones) AddZone(seed.Name, seed.Token);
    }

    private HashSet<string>? GrantedZones(Credential credential) => credential.Kind switch
    {
        CredentialKind.Token => tokenZones.GetValueOrDefault(credential.Secret),
        _ => globalKeys.TryGetValue(credential.Email!, out var key) && key.Key == credential.Secret ? key.Zones : null,
    };

    // Cloudflare reports microseconds; keep stored times equal to what a client reads back.
    private static DateTimeOffset Truncate(DateTimeOffset t) => new(t.Ticks - t.Ticks % 10, t.Offset);

    private sealed class Zone(string id, string name, DateTimeOffset createdOn)
    {
        public string Id { get; } = id;
        public string Name { get; } = name;
        public ZoneInfo Info { get; } = new(id, name, createdOn);
        public Dictionary<string, StoredRecord> Records { get; set; } = new(StringComparer.Ordinal);
    }

    private sealed record GlobalKey(string Key, HashSet<string> Zones);
}
