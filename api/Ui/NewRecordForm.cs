using System.Globalization;
using DnsSync.Api.Records;

namespace DnsSync.Api.Ui;

/// <summary>The create form's fields as typed; <see cref="ToRequest"/> makes them the api's request, which validates them.</summary>
internal sealed class NewRecordForm
{
    public string? Type { get; set; } = "A";
    public string? Name { get; set; }
    public string? Value { get; set; }
    public string? Ttl { get; set; } = CreateRecordRequest.DefaultTtl.ToString(CultureInfo.InvariantCulture);
    public bool Proxied { get; set; }
    public string? OwnerType { get; set; } = "external";
    public string? OwnerId { get; set; } = "0";

    /// <param name="unreadable">Numbers that are not numbers, which the api could not even receive.</param>
    public CreateRecordRequest ToRequest(long domainId, out IReadOnlyList<FieldError> unreadable)
    {
        var errors = new List<FieldError>();
        int? ttl = null;
        if (!string.IsNullOrWhiteSpace(Ttl))
        {
            if (int.TryParse(Ttl.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed)) ttl = parsed;
            else errors.Add(new FieldError("ttl", "ttl must be a whole number of seconds"));
        }
        long? ownerId = null;
        if (!string.IsNullOrWhiteSpace(OwnerId))
        {
            if (long.TryParse(OwnerId.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed)) ownerId = parsed;
            else errors.Add(new FieldError("ownerId", "ownerId is required and must be an integer of at least 0"));
        }
        unreadable = errors;
        return new CreateRecordRequest(domainId, Type, Name, Value, ttl, Proxied, OwnerType, ownerId);
    }
}
