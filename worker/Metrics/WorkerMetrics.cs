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
}
