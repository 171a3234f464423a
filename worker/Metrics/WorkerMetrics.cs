using Prometheus;

namespace DnsSync.Worker.Metrics;

/// <summary>The worker's Prometheus metrics (served on DnsWorker:MetricsPort at /metrics).</summary>
internal static class WorkerMetrics
{
    public static readonly Gauge Rows = Prometheus.Metrics.CreateGauge(
        "dns_sync_records", "Rows of domain_dns_records by status.", "status");

    public static readonly Counter Outcomes = Prometheus.Metrics.CreateCounter(
        "dns_sync_record_outcomes_total", "Record outcomes by action and result.", "action", "result");

    public static readonly Counter ProviderRequests = Prometheus.Metrics.CreateCounter(
        "dns_sync_provider_requests_total", "Requests to Cloudflare by HTTP status code (timeout/error when none).", "status_code");

    public static readonly Counter RateLimited = Prometheus.Metrics.CreateCounter(
        "dns_sync_provider_rate_limited_total", "HTTP 429 answers from Cloudflare.");

    public static readonly Gauge BudgetUsed = Prometheus.Metrics.CreateGauge(
        "dns_sync_budget_used", "Requests of the credential in the current window, across all workers (as of this worker's last reservation).", "credential");

    public static readonly Gauge BudgetBlockedUntil = Prometheus.Metrics.CreateGauge(
        "dns_sync_budget_blocked_until_seconds", "Unix time until which a 429's Retry-After blocks the credential (0 when not blocked).", "credential");

    public static readonly Gauge OldestDueAge = Prometheus.Metrics.CreateGauge(
        "dns_sync_oldest_due_age_seconds", "Age of the oldest row waiting to be claimed (0 when none).");

    public static readonly Counter Passes = Prometheus.Metrics.CreateCounter(
        "dns_sync_passes_total", "Worker passes by result.", "result");

    public static readonly Counter AuditFindings = Prometheus.Metrics.CreateCounter(
        "dns_sync_audit_findings_total", "Differences zone audits found, by class (drift, missing, orphan, blocking, unmanaged).", "class");

    public static readonly Counter AuditRepairs = Prometheus.Metrics.CreateCounter(
        "dns_sync_audit_repairs_total", "What zone audits set right, by class: drifted rows sent back for repair, missing ones for re-creation, orphans deleted.", "class");

    public static readonly Counter Audits = Prometheus.Metrics.CreateCounter(
        "dns_sync_audits_total", "Zone audits by outcome (applied, halted, failed, deferred).", "outcome");

    public static readonly Histogram AuditDuration = Prometheus.Metrics.CreateHistogram(
        "dns_sync_audit_duration_seconds", "How long a zone audit took (listing, classifying, applying).",
        new HistogramConfiguration { Buckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });

    public static readonly Counter AuditRequests = Prometheus.Metrics.CreateCounter(
        "dns_sync_audit_provider_requests_total", "Provider requests made by zone audits (listing pages and orphan deletions).");

    public static readonly Gauge AuditAge = Prometheus.Metrics.CreateGauge(
        "dns_sync_audit_age_seconds", "Seconds since the zone's last completed audit (-1 when never audited).", "zone");
}
