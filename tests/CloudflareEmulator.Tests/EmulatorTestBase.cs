namespace DnsSync.CloudflareEmulator.Tests;

/// <summary>One emulator per fixture on a free port; every test starts from a reset emulator with zone example.com.</summary>
public abstract class EmulatorTestBase
{
    protected const string Token = "test-token-1";
    protected const string Zone = "example.com";

    private protected EmulatorServer Server { get; private set; } = null!;
    private protected HttpClient Http { get; private set; } = null!;
    private protected CfApi Api { get; private set; } = null!;
    protected string ZoneId { get; private set; } = null!;

    protected virtual EmulatorOptions CreateOptions() => new();

    [OneTimeSetUp]
    public async Task StartEmulatorAsync()
    {
        Server = await EmulatorServer.StartAsync(CreateOptions());
        Http = new HttpClient { BaseAddress = Server.BaseUrl, Timeout = TimeSpan.FromSeconds(10) };
        Api = new CfApi(Http, Token);
    }

    [SetUp]
    public void ResetEmulator()
    {
        Server.Reset();
        ZoneId = Server.AddZone(Zone, Token);
    }

    [OneTimeTearDown]
    public async Task StopEmulatorAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
    }

    /// <summary>Polls until <paramref name="condition"/> holds; fails after the deadline. No fixed sleeps.</summary>
    protected static async Task WaitUntilAsync(Func<bool> condition, TimeSpan? timeout = null, string? because = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(5));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"Condition not met before the deadline. {because}");
            await Task.Delay(20);
        }
    }

    protected static async Task<T> WaitForAsync<T>(Func<Task<T>> attempt, Func<T, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var value = await attempt();
            if (done(value)) return value;
            if (DateTime.UtcNow > deadline) Assert.Fail("Condition not met before the deadline.");
            await Task.Delay(50);
        }
    }
}
