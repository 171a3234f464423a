using System.Runtime.InteropServices;

namespace DnsSync.Benchmarks.Harness;

/// <summary>What the numbers were measured on.</summary>
internal sealed record MachineInfo(int Cores, string Cpu, double MemoryGiB, string Os, string Dotnet, string Database)
{
    public static MachineInfo Collect(string databaseVersion) => new(
        Environment.ProcessorCount,
        FirstValue("/proc/cpuinfo", "model name", ':') ?? RuntimeInformation.ProcessArchitecture.ToString(),
        Math.Round(MemTotalKiB() / 1024.0 / 1024.0, 1),
        (FirstValue("/etc/os-release", "PRETTY_NAME", '=') ?? RuntimeInformation.OSDescription).Trim('"'),
        RuntimeInformation.FrameworkDescription,
        databaseVersion);

    private static long MemTotalKiB()
    {
        var value = FirstValue("/proc/meminfo", "MemTotal", ':');
        return value is null ? 0 : long.Parse(value.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], System.Globalization.CultureInfo.InvariantCulture);
    }

    internal static string? FirstValue(string file, string key, char separator)
    {
        if (!File.Exists(file)) return null;
        return FirstValue(File.ReadLines(file), key, separator);
    }

    internal static string? FirstValue(IEnumerable<string> lines, string key, char separator)
    {
        foreach (var line in lines)
        {
            var at = line.IndexOf(separator, StringComparison.Ordinal);
            if (at > 0 && line[..at].Trim() == key) return line[(at + 1)..].Trim();
        }
        return null;
    }
}
