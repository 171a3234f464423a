using System.ComponentModel.DataAnnotations;
using DnsSync.Api.Auth;

namespace DnsSync.Api.ApiKeys;

/// <param name="ApiToken">The provider token: printable ASCII, 1 to 256 characters. Stored encrypted, never returned.</param>
/// <param name="Account">The e-mail of a Global API Key (sent as X-Auth-Email); null for an API token (sent as Bearer).</param>
public sealed record CreateApiKeyRequest(
    [property: Required] string? Name, [property: Required] string? Provider, [property: Required] string? ApiToken, string? Account, string? Status)
{
    public const int MaxTokenLength = 256;

    internal IReadOnlyList<FieldError> Validate(out NewApiKey key)
    {
        var validation = new Validation();
        var name = Name?.Trim() ?? "";
        if (name.Length is 0 or > 128) validation.Add("name", "name is required, 1 to 128 characters");
        if (Provider?.Trim().ToLowerInvariant() != ApiKeyEndpoints.Cloudflare) validation.Add("provider", $"provider must be '{ApiKeyEndpoints.Cloudflare}'");
        // Never echo the token, not even in a validation message. It goes into an HTTP header, so only printable ASCII.
        var token = ApiToken?.Trim() ?? "";
        if (token.Length is 0 or > MaxTokenLength || !token.All(c => c is >= ' ' and <= '~'))
            validation.Add("apiToken", $"apiToken is required: 1 to {MaxTokenLength} printable ASCII characters (no line breaks, control or non-ASCII characters)");
        var account = string.IsNullOrWhiteSpace(Account) ? null : Account.Trim();
        if (account is not null && (account.Length > 255 || account.IndexOf('@') is <= 0 || account.EndsWith('@') || account.Any(char.IsWhiteSpace)))
            validation.Add("account", "account must be the e-mail address of a Global API Key, or omitted for an API token");
        var status = Status is null ? "active" : validation.OptionalOneOf("status", Status, ApiKeyEndpoints.Statuses) ?? "";
        key = new NewApiKey(name, ApiKeyEndpoints.Cloudflare, token, account, status);
        return validation.Errors;
    }
}

internal sealed record NewApiKey(string Name, string Provider, string Token, string? Account, string Status);

public sealed record ApiKeyIdsRequest([property: Required] long[]? Ids)
{
    internal IReadOnlyList<FieldError> Validate(out long[] ids)
    {
        var validation = new Validation();
        ids = validation.Ids(Ids);
        return validation.Errors;
    }
}

public sealed record ApiKeyListQuery(string? Page, string? PageSize, string? After)
{
    internal IReadOnlyList<FieldError> Validate(out Paging paging)
    {
        var validation = new Validation();
        paging = validation.Paging(Page, PageSize, After);
        return validation.Errors;
    }
}

/// <summary>An API key as the API shows it: the token only as <c>****</c> and its last four characters.</summary>
public sealed record ApiKeyDto(long Id, string Name, string Provider, string? Account, string ApiToken, string Status, DateTime CreatedAt, DateTime UpdatedAt);

/// <summary>Provider credentials. Tokens are encrypted at rest and never returned. Reads need dns:read, changes dns:admin.</summary>
internal static class ApiKeyEndpoints
{
    public const string Cloudflare = "cloudflare";
    public static readonly IReadOnlyList<string> Statuses = ["active", "inactive"];

    public static RouteGroupBuilder MapApiKeyEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api-keys").WithTags("API keys").RequireScope(AccessLevel.Read).WithEnvelopeErrors();
        group.MapPost("/create", CreateAsync).WithName("CreateApiKey").RequireScope(AccessLevel.Admin);
        group.MapGet("/", ListAsync).WithName("ListApiKeys");
        group.MapPost("/delete", DeleteAsync).WithName("DeleteApiKeys").RequireScope(AccessLevel.Admin);
        return group;
    }

    public static async Task<Results<Ok<Envelope<ApiKeyDto>>, Invalid>> CreateAsync(
        CreateApiKeyRequest request, ApiKeyQueries queries, CancellationToken cancellationToken) =>
        request.Validate(out var key) is { Count: > 0 } errors
            ? ApiResults.Invalid(errors)
            : ApiResults.Ok(await queries.CreateAsync(key, cancellationToken));

    public static async Task<Results<Ok<Envelope<PagedList<ApiKeyDto>>>, Invalid>> ListAsync(
        [AsParameters] ApiKeyListQuery query, ApiKeyQueries queries, CancellationToken cancellationToken) =>
        query.Validate(out var paging) is { Count: > 0 } errors
            ? ApiResults.Invalid(errors)
            : ApiResults.Ok(await queries.ListAsync(paging, cancellationToken));

    public static async Task<Results<Ok<Envelope<AffectedCount>>, Invalid, Clash>> DeleteAsync(
        ApiKeyIdsRequest request, ApiKeyQueries queries, CancellationToken cancellationToken)
    {
        if (request.Validate(out var ids) is { Count: > 0 } errors) return ApiResults.Invalid(errors);
        var outcome = await queries.DeleteAsync(ids, cancellationToken);
        if (outcome.UsedBy.Count == 0) return ApiResults.Ok(new AffectedCount(outcome.Affected));
        var uses = string.Join(", ", outcome.UsedBy.Select(u => $"key {u.ApiKeyId} by binding {u.BindingId} of domain {u.Domain}"));
        return ApiResults.Conflict($"API keys in use cannot be deleted ({uses}): bind those domains to another key first", outcome.UsedBy[0].ApiKeyId);
    }
}
