using DnsSync.Testing;

namespace DnsSync.Ui.Tests;

[SetUpFixture]
public sealed class TestSetup
{
    [OneTimeTearDown]
    public async Task StopDatabaseAsync()
    {
        if (TestDatabase.Description is { } description) TestContext.Progress.WriteLine(description);
        await TestDatabase.StopAsync();
    }
}
