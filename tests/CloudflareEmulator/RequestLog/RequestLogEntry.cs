namespace DnsSync.CloudflareEmulator;

/// <summary>
/// One Cloudflare-surface request as the emulator saw it. <see cref="Credential"/> is a non-secret identity
/// (<c>token:&lt;sha256 prefix&gt;</c> or <c>key:&lt;email&gt;</c>) read from the headers, so faulted and refused
/// requests carry it too (null only when the headers name no well-formed credential); <see cref="Status"/> is what
/// the client received, 0 when the connection was dropped or the client gave up first; <see cref="Fault"/> names the
/// injected fault, if any. <see cref="Time"/> is when the request arrived and <see cref="DurationMs"/> how long
/// the emulator held it (until the reply or the drop), so [Time, Time + DurationMs] is when it was in flight.
/// <see cref="RecordName"/> and <see cref="Comment"/> are the <c>name</c> and <c>comment</c> of a JSON object body
/// as sent (POST, PUT, PATCH), whether or not the request was then applied; <see cref="Posts"/> the <c>name</c> and
/// <c>comment</c> of each record in a body's <c>posts</c> array (a batch), in the order sent, null without one, each
/// with the id of the record it created when the batch was applied (also when a fault then replaced the reply);
/// <see cref="Patches"/> and <see cref="Deletes"/> the <c>id</c> of each element of a batch's <c>patches</c> and
/// <c>deletes</c>, as sent.
/// </summary>
public sealed record RequestLogEntry(
    string Method,
    string Path,
    string Query,
    int Status,
    DateTimeOffset Time,
    string? Credential,
    IReadOnlyList<string> RecordIds,
    string? Fault,
    double DurationMs = 0,
    string? RecordName = null,
    string? Comment = null,
    IReadOnlyList<SentRecord>? Posts = null,
    IReadOnlyList<string?>? Patches = null,
    IReadOnlyList<string?>? Deletes = null);

/// <summary>
/// The <c>name</c> and <c>comment</c> of one record a request body sends; <see cref="CreatedId"/> the record it created,
/// null when nothing was applied.
/// </summary>
public sealed record SentRecord(string? Name, string? Comment, string? CreatedId = null);
