using System.Text.RegularExpressions;

namespace DnsSync.CloudflareEmulator.Faults;

/// <summary>The active fault rules; the first rule that matches a request and fires decides its fault.</summary>
internal sealed class FaultInjector
{
    private readonly Lock gate = new();
    private readonly List<ActiveRule> rules = [];

    public static void Validate(FaultRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        _ = new Regex(rule.PathPattern, RegexOptions.CultureInvariant);
        if (rule.Probability is < 0 or > 1) throw new ArgumentException("Probability must be between 0 and 1.");
        if (rule.Count is < 1) throw new ArgumentException("Count must be at least 1.");
        if (rule.Kind == FaultKind.ServerError && rule.StatusCode is < 500 or > 599) throw new ArgumentException("StatusCode must be 5xx.");
        if (rule.LatencyMs < 0 || rule.HangMs < 0 || rule.RetryAfterSeconds < 0) throw new ArgumentException("Times must not be negative.");
    }

    public void Add(FaultRule rule)
    {
        Validate(rule);
        var regex = new Regex(rule.PathPattern, RegexOptions.CultureInvariant | RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1));
        lock (gate) rules.Add(new ActiveRule(rule, regex, rule.Count));
    }

    public void Clear()
    {
        lock (gate) rules.Clear();
    }

    public IReadOnlyList<FaultRule> Rules
    {
        get
        {
            lock (gate) return rules.Select(r => r.Rule with { Count = r.Remaining }).ToList();
        }
    }

    public FaultRule? Match(string method, string path)
    {
        lock (gate)
        {
            foreach (var active in rules)
            {
                var rule = active.Rule;
                if (rule.Method is not (null or "" or "*") && !string.Equals(rule.Method, method, StringComparison.OrdinalIgnoreCase)) continue;
                if (!active.Regex.IsMatch(path)) continue;

                if (active.Remaining is not null)
                {
                    if (--active.Remaining == 0) rules.Remove(active);
                    return rule;
                }

                if (rule.Probability is null || Random.Shared.NextDouble() < rule.Probability) return rule;
            }

            return null;
        }
    }

    private sealed class ActiveRule(FaultRule rule, Regex regex, int? remaining)
    {
        public FaultRule Rule { get; } = rule;
        public Regex Regex { get; } = regex;
        public int? Remaining { get; set; } = remaining;
    }
}
