namespace DnsSync.Worker.Tests;

/// <summary>A fresh database and emulator (<see cref="WorkerHarness"/>) for every test.</summary>
public abstract class HarnessTest
{
    private protected WorkerHarness h = null!;

    [SetUp]
    public async Task StartHarnessAsync() => h = await WorkerHarness.StartAsync();

    [TearDown]
    public async Task StopHarnessAsync() => await h.DisposeAsync();
}
