using System.Globalization;

namespace DnsSync.Api.Ui;

/// <summary>How times read on the status page: UTC, short, with the exact instant in the markup.</summary>
internal static class UiFormat
{
    public static string Iso(DateTime time) => time.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Today's times as 14:03:07, older ones with their date.</summary>
    public static string Short(DateTime time, DateTime now) =>
        time.ToString(time.Date == now.Date ? "HH:mm:ss" : "yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    /// <summary>3 s, 4 min, 5 h, 2 d.</summary>
    public static string Span(TimeSpan span)
    {
        if (span < TimeSpan.Zero) span = TimeSpan.Zero;
        return span.TotalSeconds < 60 ? $"{(int)span.TotalSeconds} s"
            : span.TotalMinutes < 60 ? $"{(int)span.TotalMinutes} min"
            : span.TotalHours < 48 ? $"{(int)span.TotalHours} h"
            : $"{(int)span.TotalDays} d";
    }

    /// <summary>"in 42 s" for a time ahead, "due" for one past.</summary>
    public static string Until(DateTime time, DateTime now) => time > now ? "in " + Span(time - now) : "due";

    /// <summary>A local path under /ui to go back to, or <paramref name="fallback"/> for anything else (no open redirect).</summary>
    public static string LocalUrl(string? url, string fallback) =>
        url is { Length: > 0 } && (url == Session.UiAuth.PathBase || url.StartsWith(Session.UiAuth.PathBase + "/", StringComparison.Ordinal) || url.StartsWith(Session.UiAuth.PathBase + "?", StringComparison.Ordinal))
            && !url.Contains("//", StringComparison.Ordinal) && !url.Contains('\\', StringComparison.Ordinal)
            ? url
            : fallback;
}
