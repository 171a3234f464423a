using DnsSync.Api.Auth;

namespace DnsSync.Api.Ui.Session;

/// <summary>
/// <c>dns-sync-api signin-link --sub NAME [--scope dns:read] [--ttl 15m] [--url http://127.0.0.1:8080]</c>: prints a link
/// that signs one browser in to the status page once. The link carries a one-time code, never a token.
/// </summary>
internal static class SignInLinkCommand
{
    public const string Usage = "usage: dns-sync-api signin-link --sub <name> [--scope <dns:read|dns:write|dns:admin>; default dns:read] "
        + "[--ttl <duration: 90s, 15m, 1h; default 15m, at most 1d>] [--url <the api's base URL; default http://127.0.0.1:8080>]";

    public static async Task<int> RunAsync(IReadOnlyList<string> args, IConfiguration configuration, TextWriter output, TextWriter error)
    {
        string? subject = null;
        var level = AccessLevel.Read;
        var ttl = SignInCodes.DefaultLifetime;
        var url = "http://127.0.0.1:8080";
        for (var i = 0; i < args.Count; i++)
        {
            var value = i + 1 < args.Count ? args[i + 1] : null;
            switch (args[i])
            {
                case "--sub" when !string.IsNullOrWhiteSpace(value) && value.Length <= 128:
                    subject = value;
                    break;
                case "--scope" when Scopes.Parse(value) is { } parsed:
                    level = parsed;
                    break;
                case "--ttl" when TokenCommand.TryParseDuration(value, out ttl) && ttl <= TimeSpan.FromDays(1):
                    break;
                case "--url" when Uri.TryCreate(value, UriKind.Absolute, out var parsedUrl) && parsedUrl.Scheme is "http" or "https":
                    url = value.TrimEnd('/');
                    break;
                default:
                    error.WriteLine(Usage);
                    return 1;
            }
            i++;
        }
        if (subject is null)
        {
            error.WriteLine(Usage);
            return 1;
        }
        if (configuration.GetConnectionString("Default") is not { Length: > 0 } connectionString)
        {
            error.WriteLine("error: ConnectionStrings__Default is not set: the code is stored in the api's database.");
            return 1;
        }

        await using var dataSource = new MySqlDataSource(connectionString);
        var code = await new SignInCodes(dataSource).CreateAsync(subject, level, ttl, CancellationToken.None);
        output.WriteLine($"{url}{UiAuth.PathBase}/signin?code={code}");
        return 0;
    }
}
