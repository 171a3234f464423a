using System.ComponentModel.DataAnnotations;
using DnsSync.Shared.Records;

namespace DnsSync.Api.Records;

/// <summary>A record to create. <c>[Required]</c> only documents the fields; <see cref="Validate"/> checks them all and names each bad one.</summary>
public sealed record CreateRecordRequest(
    [property: Required] long? DomainId, [property: Required] string? Type, [property: Required] string? Name,
    [property: Required] string? Value, int? Ttl, bool? Proxied, [property: Required] string? OwnerType, [property: Required] long? OwnerId)
{
    public const int DefaultTtl = 120;

    /// <summary>Checks every field and normalises the record for <paramref name="zone"/> (null: the domain does not exist).</summary>
    /// <param name="prefix">Prepended to field names (<c>records[3].</c> in a bulk create).</param>
    internal IReadOnlyList<FieldError> Validate(string? zone, out NewRecord record, string prefix = "")
    {
        var validation = new Validation(prefix);
        if (DomainId is not > 0) validation.Add("domainId", "domainId is required and must be a positive integer");
        else if (zone is null) validation.Add("domainId", $"domain {DomainId} does not exist");
        if (!RecordRules.TryNormalizeType(Type, out var type))
            validation.Add("type", $"type must be one of {string.Join(", ", RecordRules.Types)}");
        var ttl = Ttl ?? DefaultTtl;
        if (!RecordRules.IsValidTtl(ttl)) validation.Add("ttl", RecordValidation.TtlMessage(ttl));
        var proxied = Proxied ?? false;
        var typeKnown = RecordRules.Types.Contains(type);
        if (proxied && typeKnown && !RecordRules.IsProxiable(type)) validation.Add("proxied", RecordValidation.NotProxiableMessage(type));
        var value = "";
        if (typeKnown && !RecordRules.TryNormalizeContent(type, Value, out value, out var valueError)) validation.Add("value", valueError);
        var ownerType = OwnerType?.Trim() ?? "";
        if (!RecordRules.OwnerTypes.Contains(ownerType))
            validation.Add("ownerType", $"ownerType must be one of {string.Join(", ", RecordRules.OwnerTypes)}");
        if (OwnerId is not >= 0) validation.Add("ownerId", "ownerId is required and must be an integer of at least 0");
        // The zone decides how the name normalises; without one only its presence can be checked.
        var name = "";
        if (zone is not null)
        {
            if (!RecordRules.TryNormalizeName(zone, Name, out name, out var nameError)) validation.Add("name", nameError);
        }
        else if (string.IsNullOrWhiteSpace(Name))
            validation.Add("name", "name is required: use '@' for the zone apex, or a label such as 'www'");
        record = new NewRecord(DomainId ?? 0, type, name, value, ttl, proxied, ownerType, OwnerId ?? 0);
        return validation.Errors;
    }
}

/// <summary>Up to <see cref="MaxRecords"/> records created together: all of them, or none.</summary>
public sealed record BulkCreateRecordsRequest([property: Required] IReadOnlyList<CreateRecordRequest?>? Records)
{
    public const int MaxRecords = 1000;

    /// <summary>The body limit of the bulk route: a thousand records of long TXT values.</summary>
    public const long MaxBodyBytes = 4 * 1024 * 1024;

    internal IReadOnlyList<FieldError> Validate(IReadOnlyDictionary<long, string> zones, out IReadOnlyList<NewRecord> records)
    {
        records = [];
        if (Records is not { Count: > 0 and <= MaxRecords })
            return [new FieldError("records", $"records must list 1 to {MaxRecords} records (got {Records?.Count ?? 0})")];
        var errors = new List<FieldError>();
        var valid = new List<NewRecord>(Records.Count);
        for (var i = 0; i < Records.Count; i++)
        {
            if (Records[i] is not { } item)
            {
                errors.Add(new FieldError($"records[{i}]", $"records[{i}] must be a record object, not null"));
                continue;
            }
            errors.AddRange(item.Validate(item.DomainId is { } id && zones.TryGetValue(id, out var zone) ? zone : null, out var record, $"records[{i}]."));
            valid.Add(record);
        }
        records = valid;
        return errors;
    }
}

/// <summary>Only value, ttl and proxied can change; type, name and owner make up the record's identity.</summary>
/// <param name="Version">The version the change is based on; a record at another version is not changed (409). <c>If-Match</c> works too.</param>
public sealed record UpdateRecordRequest([property: Required] long? Id, string? Value, int? Ttl, bool? Proxied, long? Version)
{
    internal IReadOnlyList<FieldError> Validate()
    {
        var validation = new Validation();
        if (Id is not > 0) validation.Add("id", "id is required and must be a positive integer");
        if (this is { Value: null, Ttl: null, Proxied: null }) validation.Add("value", "give at least one of value, ttl, proxied");
        if (Ttl is { } ttl && !RecordRules.IsValidTtl(ttl)) validation.Add("ttl", RecordValidation.TtlMessage(ttl));
        if (Version is <= 0) validation.Add("version", "version must be a positive integer");
        return validation.Errors;
    }

    internal bool ChangesNothing(RecordDto current, string? value) =>
        (value ?? current.Value) == current.Value && (Ttl ?? current.Ttl) == current.Ttl && (Proxied ?? current.Proxied) == current.Proxied;

    /// <summary>The checks that need the stored record: content of its type, proxying of its type.</summary>
    internal IReadOnlyList<FieldError> ValidateFor(RecordDto current, out string? value)
    {
        var validation = new Validation();
        value = null;
        if (Value is not null && !RecordRules.TryNormalizeContent(current.Type, Value, out value, out var valueError)) validation.Add("value", valueError);
        if (Proxied == true && !RecordRules.IsProxiable(current.Type)) validation.Add("proxied", RecordValidation.NotProxiableMessage(current.Type));
        return validation.Errors;
    }
}

/// <param name="Version">With exactly one id: delete it only at this version (409 otherwise). <c>If-Match</c> works too.</param>
public sealed record RecordIdsRequest([property: Required] long[]? Ids, long? Version)
{
    internal IReadOnlyList<FieldError> Validate(out long[] ids)
    {
        var validation = new Validation();
        ids = validation.Ids(Ids);
        if (Version is <= 0) validation.Add("version", "version must be a positive integer");
        else if (Version is not null && ids.Length > 1) validation.Add("version", "version applies to one record: send one id with it");
        return validation.Errors;
    }
}

/// <param name="Version">Retry only at this version (409 otherwise). <c>If-Match</c> works too.</param>
public sealed record RecordIdRequest([property: Required] long? Id, long? Version)
{
    internal IReadOnlyList<FieldError> Validate()
    {
        var validation = new Validation();
        if (Id is not > 0) validation.Add("id", "id is required and must be a positive integer");
        if (Version is <= 0) validation.Add("version", "version must be a positive integer");
        return validation.Errors;
    }
}

/// <summary>Query string of GET /dns/records; read as text so every bad value is reported by name (OpenAPI shows the types).</summary>
public sealed record RecordListQuery(
    string? DomainId, string? Status, string? OwnerType, string? OwnerId, string? Type, string? Name,
    string? DesiredState, string? Page, string? PageSize, string? After)
{
    /// <summary>Every filter but the name, which normalises against the zone (<see cref="RecordEndpoints"/>).</summary>
    internal IReadOnlyList<FieldError> Validate(out RecordFilter filter)
    {
        var validation = new Validation();
        var domainId = validation.OptionalId("domainId", DomainId);
        var status = validation.OptionalOneOf("status", Status, RecordStatus.All);
        var desiredState = validation.OptionalOneOf("desiredState", DesiredState, DnsSync.Shared.Records.DesiredState.All);
        var ownerType = validation.OptionalOneOf("ownerType", OwnerType, RecordRules.OwnerTypes);
        var ownerId = validation.OptionalNonNegative("ownerId", OwnerId);
        var type = validation.OptionalOneOf("type", Type, RecordRules.Types);
        var paging = validation.Paging(Page, PageSize, After);
        filter = new RecordFilter(domainId, status, ownerType, ownerId, type,
            string.IsNullOrWhiteSpace(Name) ? null : Name.Trim().ToLowerInvariant(), desiredState, paging);
        return validation.Errors;
    }
}

/// <summary>A record as the API shows it.</summary>
public sealed record RecordDto(
    long Id, long DomainId, string Type, string Name, string Fqdn, string Value, int Ttl, bool Proxied,
    string Status, string DesiredState, string? ProviderRecordId, string? LastError, int RetryCount,
    DateTime? NextRetryAt, string OwnerType, long OwnerId, long Version, DateTime? LastSyncedAt,
    DateTime CreatedAt, DateTime UpdatedAt)
{
    public static RecordDto From(DnsRecordRow row, string zone) => new(
        row.Id, row.DomainId, row.Type, row.Name, RecordRules.ToFqdn(zone, row.Name), row.Value, row.Ttl, row.Proxied,
        row.Status, row.DesiredState, row.ProviderRecordId, row.LastError, row.RetryCount, row.NextRetryAt,
        row.OwnerType, row.OwnerId, row.Version, row.LastSyncedAt, row.CreatedAt, row.UpdatedAt);
}

/// <summary>What a bulk create answers: every record in the order of the request, and how many were new.</summary>
public sealed record BulkCreateResult(IReadOnlyList<RecordDto> Records, int Created, int Existing);

/// <summary>A validated, normalised record to create.</summary>
internal sealed record NewRecord(long DomainId, string Type, string Name, string Value, int Ttl, bool Proxied, string OwnerType, long OwnerId)
{
    /// <summary>
    /// Set for a record taken over from the provider (an import): the row is written active and in sync with this remote
    /// record (synced_version = version), so the worker sends nothing for it. Null for intent still to be applied.
    /// </summary>
    public string? ProviderRecordId { get; init; }

    /// <summary>Only A, AAAA and CNAME take part in CNAME exclusivity.</summary>
    public bool IsExclusive => RecordRules.IsProxiable(Type);

    public bool SameContent(RecordDto other) => other.DomainId == DomainId && other.Type == Type && other.Name == Name && other.Value == Value;

    public bool SameOwner(RecordDto other) => other.OwnerType == OwnerType && other.OwnerId == OwnerId;

    /// <summary>True when this record and <paramref name="other"/> cannot both be present: one is a CNAME and both are A/AAAA/CNAME at one name.</summary>
    public bool ExcludedBy(string otherType, long otherDomainId, string otherName) =>
        IsExclusive && RecordRules.IsProxiable(otherType) && otherDomainId == DomainId && otherName == Name && (Type == "CNAME" || otherType == "CNAME");
}

/// <summary>What a create came to.</summary>
internal abstract record CreateOutcome
{
    public sealed record Created(RecordDto Record) : CreateOutcome;
    /// <summary>An identical present record of the same owner already existed: the create is a safe retry.</summary>
    public sealed record Existing(RecordDto Record) : CreateOutcome;
    public sealed record Conflict(string Message, long ConflictingId) : CreateOutcome;
    /// <summary>The domain is inactive, or has no active binding with an active key.</summary>
    public sealed record DomainNotUsable : CreateOutcome;
    /// <summary>The per-name lock was not granted in time.</summary>
    public sealed record Busy : CreateOutcome;
}

/// <summary>What an update, delete or retry came to.</summary>
internal enum ChangeOutcome
{
    Applied,
    NotFound,
    /// <summary>The record is not in a state the change applies to (absent for an update, not in error for a retry).</summary>
    WrongState,
    /// <summary>The record is at another version than the request's.</summary>
    Stale,
    /// <summary>Another present record of the same type and name already has the new value.</summary>
    Duplicate,
}

/// <param name="Record">The record as it is after the attempt (null when unknown).</param>
/// <param name="ClashId">For <see cref="ChangeOutcome.Duplicate"/>: the record that already has the value.</param>
internal sealed record ChangeResult(ChangeOutcome Outcome, RecordDto? Record, long? ClashId = null);

/// <summary>The domain a record is created in, with what decides whether records may be created there.</summary>
internal sealed record DomainTarget(long Id, string Domain, string Status, string? BindingStatus, string? KeyStatus)
{
    public bool Usable => Status == "active" && BindingStatus == "active" && KeyStatus == "active";

    /// <summary>Why records cannot be created here (for the 400).</summary>
    public string Problem => this switch
    {
        { Status: not "active" } => $"domain {Id} ({Domain}) is {Status}: records can only be created in active domains",
        { BindingStatus: null } => $"domain {Id} ({Domain}) has no DNS provider: bind one with POST /api/v1/dns/providers/bind",
        { BindingStatus: not "active" } => $"the DNS provider binding of domain {Id} ({Domain}) is {BindingStatus}",
        _ => $"the API key bound to domain {Id} ({Domain}) is {KeyStatus ?? "missing"}",
    };
}

/// <summary>Validated filters of the record list.</summary>
internal sealed record RecordFilter(
    long? DomainId, string? Status, string? OwnerType, long? OwnerId, string? Type, string? Name, string? DesiredState, Paging Paging);

internal static class RecordValidation
{
    public static string TtlMessage(int ttl) =>
        $"ttl must be {RecordRules.AutomaticTtl} (automatic) or {RecordRules.MinTtl} to {RecordRules.MaxTtl} (got {ttl})";

    public static string NotProxiableMessage(string type) =>
        $"proxied is only allowed for {string.Join(", ", RecordRules.ProxiableTypes)} records, not {type}";
}
