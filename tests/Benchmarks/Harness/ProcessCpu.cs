using System.Globalization;

namespace DnsSync.Benchmarks.Harness;

/// <summary>CPU time (user + system) a process has used, from <c>/proc/&lt;pid&gt;/stat</c>.</summary>
internal static class ProcessCpu
{
    /// <summary>Clock ticks per second of /proc times (USER_HZ); 100 on every Linux the product targets.</summary>
    public const double TicksPerSecond = 100;

    /// <summary>CPU time used so far, or zero when the process is gone or this is not Linux.</summary>
    public static TimeSpan Read(int pid)
    {
        try
        {
            return Parse(File.ReadAllText($"/proc/{pid}/stat"));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return TimeSpan.Zero;
        }
    }

    /// <summary>
    /// utime + stime (fields 14 and 15) of a stat line. The command name (field 2) is in parentheses and may
    /// itself contain spaces and parentheses, so fields are counted from the last ')'.
    /// </summary>
    public static TimeSpan Parse(string stat)
    {
        var afterName = stat[(stat.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // afterName[0] is field 3 (state), so field n is afterName[n - 3].
        var utime = long.Parse(afterName[14 - 3], CultureInfo.InvariantCulture);
        var stime = long.Parse(afterName[15 - 3], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds((utime + stime) / TicksPerSecond);
    }
}

/// <summary>CPU time the whole machine has been busy, all cores together, from the first line of <c>/proc/stat</c>.</summary>
internal static class MachineCpu
{
    /// <summary>Busy time so far, or zero when this is not Linux.</summary>
    public static TimeSpan Read()
    {
        try
        {
            return ParseBusy(File.ReadLines("/proc/stat").First());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            return TimeSpan.Zero;
        }
    }

    /// <summary>
    /// user + nice + system + irq + softirq + steal of a <c>cpu</c> line (idle and iowait are not busy; guest time is
    /// already inside user). Steal counts: a core the hypervisor gave to someone else was not ours either.
    /// </summary>
    public static TimeSpan ParseBusy(string cpuLine)
    {
        var fields = cpuLine.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        long Field(int i) => i < fields.Length ? fields[i] : 0;
        return TimeSpan.FromSeconds((Field(0) + Field(1) + Field(2) + Field(5) + Field(6) + Field(7)) / ProcessCpu.TicksPerSecond);
    }
}

/// <summary>
/// CPU seconds used by each named process over a window, and how that splits between them; "rest of the machine" is
/// what every other process (other engineers' runs on a shared machine, say) used meanwhile.
/// </summary>
internal sealed class CpuSplit
{
    public const string RestOfMachine = "rest of the machine";

    private readonly IReadOnlyDictionary<string, int> _pids;
    private readonly Dictionary<string, TimeSpan> _start;
    private readonly TimeSpan _machineStart = MachineCpu.Read();
    private readonly DateTime _startedAt = DateTime.UtcNow;

    private CpuSplit(IReadOnlyDictionary<string, int> pids)
    {
        _pids = pids;
        _start = pids.ToDictionary(p => p.Key, p => ProcessCpu.Read(p.Value));
    }

    public static CpuSplit Start(IReadOnlyDictionary<string, int> pids) => new(pids);

    /// <summary>Process name → CPU seconds used since <see cref="Start"/>, the rest of the machine's, and "wall" seconds.</summary>
    public Dictionary<string, double> Stop()
    {
        var machine = MachineCpu.Read() - _machineStart;
        var result = _pids.ToDictionary(p => p.Key, p => Math.Round((ProcessCpu.Read(p.Value) - _start[p.Key]).TotalSeconds, 2));
        if (machine > TimeSpan.Zero) result[RestOfMachine] = Math.Round(Math.Max(0, machine.TotalSeconds - result.Values.Sum()), 2);
        result["wall"] = Math.Round((DateTime.UtcNow - _startedAt).TotalSeconds, 2);
        return result;
    }
}
