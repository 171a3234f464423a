namespace DnsSync.CloudflareEmulator;

/// <summary>Behaviour knobs of the emulator. Defaults are Cloudflare's Free plan.</summary>
public sealed class EmulatorOptions
{
    /// <summary>Requests allowed per credential inside <see cref="RateLimitWindow"/> (sliding window).</summary>
    public int RateLimitRequests { get; set; } = 1200;

    public TimeSpan RateLimitWindow { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary>Maximum deletes + patches + puts + posts in one batch request.</summary>
    public int BatchLimit { get; set; } = 200;

    public int RecordQuotaPerZone { get; set; } = 200;

    /// <summary>Tags allowed per record; 0 on the Free plan (non-empty tags → 9300).</summary>
    public int TagQuotaPerRecord { get; set; }

    /// <summary>Maximum comment length (100 on Free, 500 on paid plans).</summary>
    public int CommentMaxLength { get; set; } = 100;

    /// <summary>
    /// True: invalid A/AAAA content answers 1004 "DNS Validation Error" with the 9005/9006 in error_chain
    /// (what Cloudflare does today). False: the 9005/9006 is the top-level error (also seen in the wild).
    /// </summary>
    public bool WrapAddressErrors { get; set; } = true;

    /// <summary>Zones (with their bearer token) created at start and again after every reset.</summary>
    public IList<ZoneSeed> Zones { get; } = [];

    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal void Validate()
    {
        if (RateLimitRequests < 1) throw new ArgumentException("RateLimitRequests must be at least 1.");
        if (RateLimitWindow <= TimeSpan.Zero) throw new ArgumentException("RateLimitWindow must be positive.");
        if (BatchLimit < 1) throw new ArgumentException("BatchLimit must be at least 1.");
        if (RecordQuotaPerZone < 0) throw new ArgumentException("RecordQuotaPerZone must not be negative.");
        if (TagQuotaPerRecord < 0) throw new ArgumentException("TagQuotaPerRecord must not be negative.");
    }
}

/// <summary>A zone to create at start, granted to <paramref name="Token"/>.</summary>
public sealed record ZoneSeed(string Name, string Token);
