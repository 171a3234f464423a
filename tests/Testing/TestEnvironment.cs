namespace DnsSync.Testing;

/// <summary>Facts about where the tests run.</summary>
public static class TestEnvironment
{
    /// <summary>
    /// True under CI (<c>CI</c> set and not "false"/"0"; .ci/run sets it). A test that cannot run there must fail,
    /// not skip: a skip in CI would hide that the guarantee went unchecked.
    /// </summary>
    public static bool IsCi { get; } =
        Environment.GetEnvironmentVariable("CI") is { Length: > 0 } value && value != "0" && !value.Equals("false", StringComparison.OrdinalIgnoreCase);
}
