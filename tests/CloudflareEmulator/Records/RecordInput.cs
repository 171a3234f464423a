using System.Text.Json;
using DnsSync.CloudflareEmulator.Hosting;

namespace DnsSync.CloudflareEmulator.Records;

/// <summary>
/// A record body as sent by a client. Every field remembers whether it was present, which is what
/// separates PATCH (only sent fields change) from PUT/POST (omitted fields take defaults).
/// </summary>
internal sealed class RecordInput
{
    public string? Id { get; private init; }
    public Optional<string?> Name { get; private init; }
    public Optional<string?> Type { get; private init; }
    public Optional<string?> Content { get; private init; }
    public Optional<int> Ttl { get; private init; }
    public Optional<bool> Proxied { get; private init; }
    public Optional<int?> Priority { get; private init; }
    public Optional<string?> Comment { get; private init; }
    public Optional<IReadOnlyList<string>> Tags { get; private init; }
    public Optional<RecordSettings> Settings { get; private init; }

    public static (RecordInput? Input, CfError? Error) Parse(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object) return (null, Cf.MalformedJson());
        try
        {
            return (new RecordInput
            {
                Id = body.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null,
                Name = ReadString(body, "name"),
                Type = ReadString(body, "type"),
                Content = ReadString(body, "content"),
                Ttl = Read(body, "ttl", e => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var v)
                    ? v
                    : throw new InputException(Cf.InvalidTtl())),
                Proxied = Read(body, "proxied", e => e.ValueKind is JsonValueKind.True or JsonValueKind.False
                    ? e.GetBoolean()
                    : throw new InputException(Cf.DnsValidation("proxied must be a boolean."))),
                Priority = Read(body, "priority", e => e.ValueKind switch
                {
                    JsonValueKind.Null => (int?)null,
                    JsonValueKind.Number when e.TryGetInt32(out var v) && v is >= 0 and <= 65535 => v,
                    _ => throw new InputException(Cf.DnsValidation("priority must be an integer between 0 and 65535.")),
                }),
                Comment = ReadString(body, "comment"),
                Tags = Read(body, "tags", e => e.ValueKind switch
                {
                    JsonValueKind.Null => (IReadOnlyList<string>)[],
                    JsonValueKind.Array => e.EnumerateArray().Select(t => t.ValueKind == JsonValueKind.String
                        ? t.GetString()!
                        : throw new InputException(Cf.DnsValidation("tags must be strings."))).ToList(),
                    _ => throw new InputException(Cf.DnsValidation("tags must be an array.")),
                }),
                Settings = Read(body, "settings", e => e.ValueKind switch
                {
                    JsonValueKind.Null => new RecordSettings(),
                    JsonValueKind.Object => new RecordSettings
                    {
                        FlattenCname = ReadFlag(e, "flatten_cname"),
                        Ipv4Only = ReadFlag(e, "ipv4_only"),
                        Ipv6Only = ReadFlag(e, "ipv6_only"),
                    },
                    _ => throw new InputException(Cf.DnsValidation("settings must be an object.")),
                }),
            }, null);
        }
        catch (InputException ex)
        {
            return (null, ex.Error);
        }
    }

    private static Optional<string?> ReadString(JsonElement body, string name) =>
        Read(body, name, e => e.ValueKind switch
        {
            JsonValueKind.String => e.GetString(),
            JsonValueKind.Null => null,
            _ => throw new InputException(Cf.DnsValidation($"{name} must be a string.")),
        });

    private static bool? ReadFlag(JsonElement settings, string name) =>
        settings.TryGetProperty(name, out var e) && e.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? e.GetBoolean()
            : null;

    private static Optional<T> Read<T>(JsonElement body, string name, Func<JsonElement, T> read) =>
        body.TryGetProperty(name, out var e) ? new Optional<T>(true, read(e)) : default;

    private sealed class InputException(CfError error) : Exception(error.Errors[0].Message)
    {
        public CfError Error { get; } = error;
    }
}

internal readonly record struct Optional<T>(bool IsSet, T Value)
{
    public T Or(T fallback) => IsSet ? Value : fallback;
}
