using DnsSync.CloudflareEmulator.Auth;
using DnsSync.CloudflareEmulator.Faults;
using DnsSync.CloudflareEmulator.RequestLog;

namespace DnsSync.CloudflareEmulator.Hosting;

/// <summary>Everything a reset clears, in one place for the HTTP control surface and the C# API.</summary>
internal sealed class EmulatorController(EmulatorState state, RateLimiter limiter, FaultInjector faults, RequestLogStore log)
{
    public void Reset()
    {
        faults.Clear();
        state.Reset();
        limiter.Reset();
        log.Clear();
    }
}
