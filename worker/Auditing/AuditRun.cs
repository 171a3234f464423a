namespace DnsSync.Worker.Auditing;

/// <summary>How an audit went: its outcome, when it started (database clock), how long it took and the provider requests it made.</summary>
internal sealed record AuditRun(string Outcome, DateTime StartedAt, long DurationMs, int Requests);
