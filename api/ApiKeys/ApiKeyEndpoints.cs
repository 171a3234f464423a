namespace DnsSync.Api.ApiKeys;

/// <param name="Account">The e-mail of a Global API Key (sent as X-Auth-Email); null for an API token (sent as Bearer).</param>
public sealed record CreateApiKeyRequest(string? Name, string? Provider, string? ApiToken, string? Account, string? Status);

public sealed record ApiKeyIdsRequest(long[]? Ids);

public sealed record ApiKeyListQuery(string? Page, string? PageSize);

/// <summary>An API key as the API shows it: the token only as <c>****</c> and its last four characters.</summary>
public sealed record ApiKeyDto(long Id, string Name, string Provider, string? Account, string ApiToken, string Status, DateTime CreatedAt, DateTime UpdatedAt);

/// <summary>Provider credentials. Tokens are encrypted at rest and never returned.</summary>
internal static class ApiKeyEndpoints
{
    public const string Cloudflare = "cloudflare";
    public const int MaxTokenLength = 512;
    public static readonly IReadOnlyList<string> Statuses = ["active", "inactive"];

    public static RouteGroupBuilder MapApiKeyEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api-keys").WithTags("API keys").RequireAuthorization();
        group.MapPost("/create", CreateAsync).WithName("CreateApiKey");
        group.MapGet("/", ListAsync).WithName("ListApiKeys");
        group.MapPost("/delete", DeleteAsync).WithName("DeleteApiKeys");
        return group;
    }

    public static async Task<Results<Ok<Envelope<ApiKeyDto>>, BadRequest<Envelope<ErrorData>>>>
        CreateAsync(CreateApiKeyRequest request, ApiKeyQueries queries, CancellationToken cancellationToken)
    {
        var validation = new Validation();
        var name = request.Name?.Trim() ?? "";
        if (name.Length is 0 or > 128) validation.Add("name", "name is required, 1 to 128 characters");
        var provider = request.Provider?.Trim().ToLowerInvariant();
        if (provider != Cloudflare) validation.Add("provider", $"provider must be '{Cloudflare}'");
        // Never echo the token, not even in a validation message.
        var token = request.ApiToken?.Trim() ?? "";
        if (token.Length is 0 or > MaxTokenLength || token.Any(char.IsControl))
            validation.Add("apiToken", $"apiToken is required: 1 to {MaxTokenLength} printable characters");
        var account = string.IsNullOrWhiteSpace(request.Account) ? null : request.Account.Trim();
        if (account is not null && (account.Length > 255 || account.IndexOf('@') is <= 0 || account.EndsWith('@') || account.Any(char.IsWhiteSpace)))
            validation.Add("account", "account must be the e-mail address of a Global API Key, or omitted for an API token");
        var status = request.Status is null ? "active" : validation.OptionalOneOf("status", request.Status, Statuses) ?? "";
        if (!validation.IsValid) return ApiResults.Invalid(validation.Errors);

        return ApiResults.Ok(await queries.CreateAsync(name, Cloudflare, token, account, status, cancellationToken));
    }

    public static async Task<Results<Ok<Envelope<PagedList<ApiKeyDto>>>, BadRequest<Envelope<ErrorData>>>>
        ListAsync([AsParameters] ApiKeyListQuery query, ApiKeyQueries queries, CancellationToken cancellationToken)
    {
        var validation = new Validation();
        var (page, pageSize) = validation.Paging(query.Page, query.PageSize);
        if (!validation.IsValid) return ApiResults.Invalid(validation.Errors);
        return ApiResults.Ok(await queries.ListAsync(page, pageSize, cancellationToken));
    }

    public static async Task<Results<Ok<Envelope<AffectedCount>>, BadRequest<Envelope<ErrorData>>, Conflict<Envelope<ErrorData>>>>
        DeleteAsync(ApiKeyIdsRequest request, ApiKeyQueries queries, CancellationToken cancellationToken)
    {
        var validation = new Validation();
        var ids = validation.Ids(request.Ids);
        if (!validation.IsValid) return ApiResults.Invalid(validation.Errors);

        var outcome = await queries.DeleteAsync(ids, cancellationToken);
        if (outcome.UsedBy.Count > 0)
        {
            var uses = string.Join(", ", outcome.UsedBy.Select(u => $"key {u.ApiKeyId} by binding {u.BindingId} of domain {u.Domain}"));
            return ApiResults.Conflict($"API keys in use cannot be deleted ({uses}): bind those domains to another key first",
                outcome.UsedBy[0].ApiKeyId);
        }
        return ApiResults.Ok(new AffectedCount(outcome.Affected));
    }
}
