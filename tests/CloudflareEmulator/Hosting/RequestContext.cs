using DnsSync.CloudflareEmulator.Auth;

namespace DnsSync.CloudflareEmulator.Hosting;

/// <summary>Per-request facts the request log needs, collected by the filter, the handlers and the fault injector.</summary>
internal static class RequestContext
{
    private const string CredentialKey = "emulator.credential";
    private const string RecordIdsKey = "emulator.recordIds";
    private const string FaultKey = "emulator.fault";
    private const string DroppedKey = "emulator.dropped";
    private const string CreatedByPostsKey = "emulator.createdByPosts";

    public const string ControlPrefix = "/__emulator";

    public static bool IsControl(HttpContext http) =>
        http.Request.Path.StartsWithSegments(ControlPrefix) ||
        http.Request.Path.StartsWithSegments("/client/v4" + ControlPrefix) ||
        http.Request.PathBase.StartsWithSegments("/client/v4") && http.Request.Path.StartsWithSegments(ControlPrefix);

    public static void SetCredential(HttpContext http, Credential credential) => http.Items[CredentialKey] = credential;

    public static Credential GetCredential(HttpContext http) =>
        http.Items[CredentialKey] as Credential ?? throw new InvalidOperationException("Request was not authenticated.");


    public static void Touched(HttpContext http, string recordId)
    {
        if (http.Items[RecordIdsKey] is not List<string> ids) http.Items[RecordIdsKey] = ids = [];
        ids.Add(recordId);
    }

    public static IReadOnlyList<string> TouchedRecordIds(HttpContext http) =>
        http.Items[RecordIdsKey] as List<string> ?? [];

    /// <summary>The records an applied batch's posts created, in the order of its posts.</summary>
    public static void CreatedByPosts(HttpContext http, IReadOnlyList<string> recordIds) => http.Items[CreatedByPostsKey] = recordIds;

    public static IReadOnlyList<string>? GetCreatedByPosts(HttpContext http) => http.Items[CreatedByPostsKey] as IReadOnlyList<string>;

    public static void SetFault(HttpContext http, FaultKind kind) => http.Items[FaultKey] = kind.ToString();

    public static string? GetFault(HttpContext http) => http.Items[FaultKey] as string;

    public static void MarkDropped(HttpContext http) => http.Items[DroppedKey] = true;

    public static bool WasDropped(HttpContext http) => http.Items.ContainsKey(DroppedKey);
}
