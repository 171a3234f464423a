using DnsSync.Benchmarks.Harness;

namespace DnsSync.Benchmarks.Tests;

public sealed class HostFactsTests
{
    [Test]
    public void Cpu_time_is_utime_plus_stime_counted_after_the_command_name()
    {
        // The command name may contain spaces and ')' — fields must be counted from the last ')'.
        const string stat = "4242 (dotnet (x) y) S 1 4242 4242 0 -1 4194304 1000 0 0 0 250 50 0 0 20 0 30 0 123 456 789";
        Assert.That(ProcessCpu.Parse(stat), Is.EqualTo(TimeSpan.FromSeconds(3)));
    }

    [Test]
    public void Machine_busy_time_counts_user_nice_system_irq_softirq_and_steal_but_not_idle_or_iowait()
    {
        //                      user nice system idle   iowait irq softirq steal guest guest_nice
        const string line = "cpu  1000 100  300    90000  500    20  30      50    400   0";
        Assert.That(MachineCpu.ParseBusy(line), Is.EqualTo(TimeSpan.FromSeconds((1000 + 100 + 300 + 20 + 30 + 50) / 100.0)));
    }

    [Test]
    public void Cpu_split_names_what_the_rest_of_the_machine_used()
    {
        if (!OperatingSystem.IsLinux())
        {
            if (DnsSync.Testing.TestEnvironment.IsCi) Assert.Fail("CI runs on Linux, where /proc must be readable");
            Assert.Ignore("/proc is Linux only");
        }
        var split = CpuSplit.Start(new Dictionary<string, int> { ["me"] = Environment.ProcessId });
        var spin = DateTime.UtcNow.AddMilliseconds(300);
        while (DateTime.UtcNow < spin) { }
        var seconds = split.Stop();
        Assert.That(seconds.Keys, Is.EquivalentTo(new[] { "me", CpuSplit.RestOfMachine, "wall" }));
        Assert.That(seconds[CpuSplit.RestOfMachine], Is.GreaterThanOrEqualTo(0));
    }

    [Test]
    public void Cpu_time_of_this_process_is_readable_and_grows()
    {
        if (!OperatingSystem.IsLinux())
        {
            if (DnsSync.Testing.TestEnvironment.IsCi) Assert.Fail("CI runs on Linux, where /proc must be readable");
            Assert.Ignore("/proc is Linux only");
        }
        var before = ProcessCpu.Read(Environment.ProcessId);
        var spin = DateTime.UtcNow.AddMilliseconds(300);
        while (DateTime.UtcNow < spin) { }
        Assert.That(ProcessCpu.Read(Environment.ProcessId), Is.GreaterThan(before));
        Assert.That(ProcessCpu.Read(int.MaxValue), Is.EqualTo(TimeSpan.Zero), "a process that is gone used nothing");
    }

    [Test]
    public void Machine_facts_are_read_from_key_value_lines()
    {
        string[] cpuinfo = ["processor\t: 0", "model name\t: AMD EPYC 7B13", "model name\t: other"];
        string[] osRelease = ["NAME=\"Debian GNU/Linux\"", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\""];
        Assert.Multiple(() =>
        {
            Assert.That(MachineInfo.FirstValue(cpuinfo, "model name", ':'), Is.EqualTo("AMD EPYC 7B13"));
            Assert.That(MachineInfo.FirstValue(osRelease, "PRETTY_NAME", '='), Is.EqualTo("\"Debian GNU/Linux 12 (bookworm)\""));
            Assert.That(MachineInfo.FirstValue(osRelease, "VERSION_ID", '='), Is.Null);
        });
    }

    [TestCase(new string[0], false, null)]
    [TestCase(new[] { "--quick" }, true, null)]
    [TestCase(new[] { "--out" }, false, "--out needs a directory")]
    [TestCase(new[] { "--fast" }, false, "unknown argument '--fast'")]
    [TestCase(new[] { "--only", "everything" }, false, "--only needs one of latency, api, claim, bulk, failover, faults, audit")]
    public void Arguments_are_parsed_strictly(string[] args, bool quick, string? error)
    {
        var parsed = BenchArguments.Parse(args);
        Assert.That((parsed.Quick, parsed.Error), Is.EqualTo((quick, error)));
    }

    [TestCase("claim")]
    [TestCase("bulk")]
    [TestCase("failover")]
    [TestCase("faults")]
    [TestCase("audit")]
    public void Only_selects_one_scenario_group(string group) =>
        Assert.That(BenchArguments.Parse(["--only", group, "--quick"]), Is.EqualTo(new BenchArguments(true, null, null) { Only = group }));

    [Test]
    public void Out_directory_is_made_absolute() =>
        Assert.That(BenchArguments.Parse(["--quick", "--out", "results"]).OutDirectory, Is.EqualTo(Path.GetFullPath("results")));

    [Test]
    public void Quick_settings_are_smaller_than_the_full_run()
    {
        var (quick, full) = (BenchSettings.Quick, BenchSettings.Full);
        Assert.Multiple(() =>
        {
            Assert.That(full.LatencyRecords, Is.EqualTo(500));
            Assert.That(full.ConvergenceRecords, Is.EqualTo(10_000));
            Assert.That(full.Concurrency, Is.EqualTo(32));
            Assert.That((full.ClaimSmallRows, full.ClaimLargeRows), Is.EqualTo((10_000L, 1_000_000L)));
            Assert.That(full.EmulatorLatenciesMs, Is.EqualTo(new[] { 0, 50 }));
            Assert.That(quick.LatencyRecords, Is.LessThan(full.LatencyRecords));
            Assert.That(quick.ConvergenceRecords, Is.LessThan(full.ConvergenceRecords));
            Assert.That(quick.ClaimLargeRows, Is.LessThan(full.ClaimLargeRows));
            Assert.That(quick.ThroughputWindow, Is.LessThan(full.ThroughputWindow));
        });
    }
}
