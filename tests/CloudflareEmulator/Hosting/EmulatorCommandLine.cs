using System.Globalization;

namespace DnsSync.CloudflareEmulator.Hosting;

/// <summary>
/// Standalone options: <c>--zone name:token</c> (repeatable) plus the <c>Emulator</c> configuration section,
/// which short switches such as <c>--rate-limit</c> map onto.
/// </summary>
internal static class EmulatorCommandLine
{
    public const string Section = "Emulator";

    public static readonly Dictionary<string, string> SwitchMappings = new(StringComparer.Ordinal)
    {
        ["--rate-limit"] = $"{Section}:RateLimitRequests",
        ["--rate-limit-window"] = $"{Section}:RateLimitWindowSeconds",
        ["--batch-limit"] = $"{Section}:BatchLimit",
        ["--record-quota"] = $"{Section}:RecordQuotaPerZone",
        ["--tag-quota"] = $"{Section}:TagQuotaPerRecord",
        ["--comment-max-length"] = $"{Section}:CommentMaxLength",
        ["--wrap-address-errors"] = $"{Section}:WrapAddressErrors",
    };

    /// <summary>Takes out every <c>--zone X</c>/<c>--zone=X</c> (the configuration provider would keep only the last).</summary>
    public static (List<string> Zones, string[] Remaining) ExtractZones(string[] args)
    {
        var zones = new List<string>();
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--zone" && i + 1 < args.Length) zones.Add(args[++i]);
            else if (args[i].StartsWith("--zone=", StringComparison.Ordinal)) zones.Add(args[i]["--zone=".Length..]);
            else rest.Add(args[i]);
        }

        return (zones, rest.ToArray());
    }

    public static EmulatorOptions Read(IConfiguration configuration, IEnumerable<string> zoneArgs)
    {
        var section = configuration.GetSection(Section);
        var options = new EmulatorOptions();
        options.RateLimitRequests = Int(section, "RateLimitRequests", options.RateLimitRequests);
        options.RateLimitWindow = TimeSpan.FromSeconds(Double(section, "RateLimitWindowSeconds", options.RateLimitWindow.TotalSeconds));
        options.BatchLimit = Int(section, "BatchLimit", options.BatchLimit);
        options.RecordQuotaPerZone = Int(section, "RecordQuotaPerZone", options.RecordQuotaPerZone);
        options.TagQuotaPerRecord = Int(section, "TagQuotaPerRecord", options.TagQuotaPerRecord);
        options.CommentMaxLength = Int(section, "CommentMaxLength", options.CommentMaxLength);
        options.WrapAddressErrors = Bool(section, "WrapAddressErrors", options.WrapAddressErrors);

        var configuredZones = section.GetSection("Zones").GetChildren().Select(c => c.Value).OfType<string>();
        foreach (var zone in configuredZones.Concat(zoneArgs)) options.Zones.Add(ParseZone(zone));
        options.Validate();
        return options;
    }

    public static ZoneSeed ParseZone(string value)
    {
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == value.Length - 1)
        {
            throw new ArgumentException($"--zone expects name:token, got '{value}'.");
        }

        return new ZoneSeed(value[..colon], value[(colon + 1)..]);
    }

    private static int Int(IConfigurationSection section, string key, int fallback) =>
        section[key] is { } v
            ? int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : throw Bad(key, v)
            : fallback;

    private static double Double(IConfigurationSection section, string key, double fallback) =>
        section[key] is { } v
            ? double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? n : throw Bad(key, v)
            : fallback;

    private static bool Bool(IConfigurationSection section, string key, bool fallback) =>
        section[key] is { } v
            ? bool.TryParse(v, out var b) ? b : throw Bad(key, v)
            : fallback;

    private static ArgumentException Bad(string key, string value) => new($"{Section}:{key} has an invalid value '{value}'.");
}
