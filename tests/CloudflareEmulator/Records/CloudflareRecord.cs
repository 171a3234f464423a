using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DnsSync.CloudflareEmulator;

/// <summary>A DNS record exactly as the emulator returns it over HTTP (snake_case JSON).</summary>
public sealed record CloudflareRecord
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("type")] public required string Type { get; init; }
    [JsonPropertyName("content")] public required string Content { get; init; }
    [JsonPropertyName("proxiable")] public bool Proxiable { get; init; }
    [JsonPropertyName("proxied")] public bool Proxied { get; init; }
    [JsonPropertyName("ttl")] public int Ttl { get; init; } = 1;

    [JsonPropertyName("priority")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Priority { get; init; }

    [JsonPropertyName("settings")] public RecordSettings Settings { get; init; } = new();
    [JsonPropertyName("meta")] public RecordMeta Meta { get; init; } = new();
    [JsonPropertyName("comment")] public string? Comment { get; init; }
    [JsonPropertyName("tags")] public IReadOnlyList<string> Tags { get; init; } = [];

    [JsonPropertyName("created_on")]
    [JsonConverter(typeof(MicrosecondTimestampConverter))]
    public DateTimeOffset CreatedOn { get; init; }

    [JsonPropertyName("modified_on")]
    [JsonConverter(typeof(MicrosecondTimestampConverter))]
    public DateTimeOffset ModifiedOn { get; init; }
}

/// <summary>Per-record settings; unset flags are omitted, so most records show <c>"settings": {}</c>.</summary>
public sealed record RecordSettings
{
    [JsonPropertyName("flatten_cname")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? FlattenCname { get; init; }

    [JsonPropertyName("ipv4_only")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Ipv4Only { get; init; }

    [JsonPropertyName("ipv6_only")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Ipv6Only { get; init; }
}

public sealed record RecordMeta
{
    [JsonPropertyName("auto_added")] public bool AutoAdded { get; init; }
    [JsonPropertyName("managed_by_apps")] public bool ManagedByApps { get; init; }
    [JsonPropertyName("managed_by_argo_tunnel")] public bool ManagedByArgoTunnel { get; init; }
}

/// <summary>RFC 3339 UTC with six fractional digits, as Cloudflare writes <c>created_on</c>.</summary>
public sealed class MicrosecondTimestampConverter : JsonConverter<DateTimeOffset>
{
    internal const string Format = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        DateTimeOffset.Parse(reader.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture));
}
