namespace DnsSync.CloudflareEmulator.Tests;

/// <summary>A clock that moves only when a test moves it, so a rate window does not depend on how fast requests run.</summary>
internal sealed class ManualClock : TimeProvider
{
    private readonly Lock gate = new();
    private DateTimeOffset now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow()
    {
        lock (gate) return now;
    }

    public void Advance(TimeSpan by)
    {
        lock (gate) now += by;
    }
}
