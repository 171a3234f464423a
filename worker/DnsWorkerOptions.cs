using Microsoft.Extensions.Options;

namespace DnsSync.Worker;

/// <summary>The <c>DnsWorker</c> configuration section (env <c>DnsWorker__X</c>, or the seed's <c>DNS_WORKER_X</c>).</summary>
internal sealed class DnsWorkerOptions
{
    public const string Section = "DnsWorker";

    public bool Enabled { get; set; } = true;

    /// <summary>Seconds between passes while idle; after a pass that found work the next comes sooner (see PollDelay).</summary>
    public int IntervalSec { get; set; } = 1;

    /// <summary>
    /// Rows claimed per pass at most, taken zone by zone (see RecordClaimer.SelectDueAsync). The default is one
    /// Free-plan batch: the smallest pass that still sends full batches (requests per record at its floor) and the
    /// lowest worker peak RSS measured (docs/BENCHMARKS.md, worker memory).
    /// </summary>
    public int BatchSize { get; set; } = 200;

    /// <summary>How long a claimed row belongs to this instance before another may reclaim it.</summary>
    public int LeaseSec { get; set; } = 120;

    /// <summary>Zones claimed per pass and reconciled in parallel at most.</summary>
    public int MaxParallelZones { get; set; } = 8;

    /// <summary>
    /// Base of the retry backoff after a failure: min(2^retry_count × RetryBaseSec, 30 min). Keep the default (30)
    /// in production; tests that inject provider faults lower it so retries happen within seconds.
    /// </summary>
    public int RetryBaseSec { get; set; } = Shared.Records.RetryPolicy.DefaultBaseSeconds;

    /// <summary>Cap of the retry backoff (default 1800 = 30 min); tests lower it with RetryBaseSec.</summary>
    public int RetryMaxSec { get; set; } = (int)Shared.Records.RetryPolicy.MaxBackoff.TotalSeconds;

    /// <summary>Port of the Prometheus /metrics endpoint; 0 turns it off.</summary>
    public int MetricsPort { get; set; } = 9464;

    /// <summary>
    /// The installation id in ownership markers (dns-sync:&lt;installation&gt;:&lt;row id&gt;). Empty: the one generated
    /// for this database. Set it only to make two databases act as one installation.
    /// </summary>
    public string? InstallationId { get; set; }

    /// <summary>How long rows of an inactive (or unbound) domain, binding or api key wait before they are looked at again.</summary>
    public int TargetRecheckSec { get; set; } = 30;

    /// <summary>
    /// Seconds between two scheduled audits of a zone (each zone's due time is spread by jitter); 0 turns scheduled
    /// audits off (one asked for through the api still runs).
    /// </summary>
    public int AuditIntervalSec { get; set; } = 300;

    /// <summary>
    /// The brake: an audit that would repair, recreate or delete more than this share of a zone's managed records (zones
    /// with at least <see cref="Auditing.AuditBrake.MinManagedRecords"/>) applies nothing until a person confirms.
    /// </summary>
    public double AuditMaxChangeRatio { get; set; } = 0.3;

    /// <summary>Delete records marked as this installation's that no row wants (orphans); false only reports them.</summary>
    public bool DeleteOrphans { get; set; }

    /// <summary>Written to locked_by (≤ 64 characters); unique per running instance.</summary>
    public string InstanceId { get; set; } = DefaultInstanceId();

    public static string DefaultInstanceId()
    {
        var id = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
        // Keep the random part: it is what makes two instances on one host and pid (containers) differ.
        return id.Length <= 64 ? id : id[^64..];
    }

    /// <summary>
    /// The seed (go_cmdb) used flat names; they apply when the sectioned setting is not given.
    /// Returned as an in-memory configuration layer added before binding.
    /// </summary>
    public static IEnumerable<KeyValuePair<string, string?>> SeedNames(IConfiguration configuration)
    {
        (string Seed, string Key)[] map =
        [
            ("DNS_WORKER_ENABLED", "Enabled"),
            ("DNS_WORKER_INTERVAL_SEC", "IntervalSec"),
            ("DNS_WORKER_BATCH_SIZE", "BatchSize"),
        ];
        foreach (var (seed, key) in map)
        {
            var value = configuration[seed];
            if (value is not null && configuration[$"{Section}:{key}"] is null)
                yield return new($"{Section}:{key}", value);
        }
    }
}

/// <summary>The <c>Cloudflare</c> configuration section.</summary>
internal sealed class CloudflareOptions
{
    public const string Section = "Cloudflare";

    public string BaseUrl { get; set; } = "https://api.cloudflare.com/client/v4";

    public int TimeoutSec { get; set; } = 10;

    /// <summary>Requests one token may make per <see cref="WindowSec"/> (Cloudflare allows 1,200 per 5 minutes).</summary>
    public int RequestsPerWindow { get; set; } = 1200;

    public int WindowSec { get; set; } = 300;

    /// <summary>per_page of record lists (Cloudflare accepts up to 5,000 for DNS records).</summary>
    public int ListPageSize { get; set; } = 1000;

    /// <summary>
    /// Changes per batch request: 200 on Cloudflare's Free plan, 3,500 on paid plans (a binding's batch_limit
    /// overrides it for its zone).
    /// </summary>
    public int BatchLimit { get; set; } = 200;
}

/// <summary>Validates DnsWorker at start; every message names the setting and its environment variable.</summary>
internal sealed class DnsWorkerOptionsValidator(IOptions<CloudflareOptions> cloudflare) : IValidateOptions<DnsWorkerOptions>
{
    public ValidateOptionsResult Validate(string? name, DnsWorkerOptions o)
    {
        var errors = new List<string>();
        if (o.IntervalSec is < 1 or > 3600) errors.Add(Range("DnsWorker:IntervalSec", "1 and 3600", o.IntervalSec));
        if (o.BatchSize is < 1 or > 5000) errors.Add(Range("DnsWorker:BatchSize", "1 and 5000", o.BatchSize));
        if (o.MaxParallelZones is < 1 or > 256) errors.Add(Range("DnsWorker:MaxParallelZones", "1 and 256", o.MaxParallelZones));
        if (o.RetryBaseSec is < 1 or > 1800) errors.Add(Range("DnsWorker:RetryBaseSec", "1 and 1800", o.RetryBaseSec));
        if (o.RetryMaxSec < Math.Max(1, o.RetryBaseSec) || o.RetryMaxSec > 1800)
            errors.Add($"DnsWorker:RetryMaxSec (env DnsWorker__RetryMaxSec) must be between DnsWorker:RetryBaseSec ({o.RetryBaseSec}) and 1800 seconds; got {o.RetryMaxSec}.");
        if (o.MetricsPort is < 0 or > 65535) errors.Add(Range("DnsWorker:MetricsPort", "0 (off) and 65535", o.MetricsPort));
        var minLease = 3 * Math.Max(1, cloudflare.Value.TimeoutSec);
        if (o.LeaseSec < minLease || o.LeaseSec > 86400)
            errors.Add($"DnsWorker:LeaseSec (env DnsWorker__LeaseSec) must be between {minLease} (3 × Cloudflare:TimeoutSec) and 86400 seconds; got {o.LeaseSec}.");
        if (o.TargetRecheckSec is < 1 or > 3600) errors.Add(Range("DnsWorker:TargetRecheckSec", "1 and 3600", o.TargetRecheckSec));
        if (o.AuditIntervalSec is < 0 or > 86400) errors.Add(Range("DnsWorker:AuditIntervalSec", "0 (off) and 86400", o.AuditIntervalSec));
        if (!(o.AuditMaxChangeRatio is >= 0 and <= 1))
            errors.Add($"DnsWorker:AuditMaxChangeRatio (env DnsWorker__AuditMaxChangeRatio) must be between 0 and 1 (a share of a zone's records); got {o.AuditMaxChangeRatio.ToString(System.Globalization.CultureInfo.InvariantCulture)}.");
        if (o.InstallationId is { Length: > 0 } installation
            && (installation.Length > 40 || !installation.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
            errors.Add("DnsWorker:InstallationId (env DnsWorker__InstallationId) must be 1 to 40 letters, digits, '-', '_' or '.'; leave it empty to use the id generated for this database.");
        if (string.IsNullOrWhiteSpace(o.InstanceId) || o.InstanceId.Length > 64)
            errors.Add("DnsWorker:InstanceId (env DnsWorker__InstanceId) must be 1 to 64 characters (it is stored in locked_by).");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    internal static string Range(string setting, string range, int value) =>
        $"{setting} (env {setting.Replace(":", "__", StringComparison.Ordinal)}) must be between {range}; got {value}.";
}

/// <summary>Validates Cloudflare at start.</summary>
internal sealed class CloudflareOptionsValidator : IValidateOptions<CloudflareOptions>
{
    public ValidateOptionsResult Validate(string? name, CloudflareOptions o)
    {
        var errors = new List<string>();
        if (!Uri.TryCreate(o.BaseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(uri.Query))
            errors.Add($"Cloudflare:BaseUrl (env Cloudflare__BaseUrl) must be an absolute http(s) URL such as https://api.cloudflare.com/client/v4; got '{o.BaseUrl}'.");
        if (o.TimeoutSec is < 1 or > 300) errors.Add(DnsWorkerOptionsValidator.Range("Cloudflare:TimeoutSec", "1 and 300", o.TimeoutSec));
        if (o.RequestsPerWindow is < 1 or > 1_000_000) errors.Add(DnsWorkerOptionsValidator.Range("Cloudflare:RequestsPerWindow", "1 and 1000000", o.RequestsPerWindow));
        if (o.WindowSec is < 1 or > 86400) errors.Add(DnsWorkerOptionsValidator.Range("Cloudflare:WindowSec", "1 and 86400", o.WindowSec));
        if (o.BatchLimit is < 1 or > 3500) errors.Add(DnsWorkerOptionsValidator.Range("Cloudflare:BatchLimit", "1 and 3500", o.BatchLimit));
        if (o.ListPageSize is < 5 or > 5000) errors.Add(DnsWorkerOptionsValidator.Range("Cloudflare:ListPageSize", "5 and 5000", o.ListPageSize));
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
