using System.Diagnostics;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DnsSync.Api.Tests;

/// <summary>The api as a process: settings checked at start, and the token command.</summary>
public sealed class ProcessTests
{
    private const string Secret = "process-test-secret-0123456789-abcdefghij";
    private static readonly string ValidKey = Convert.ToBase64String(new byte[32]);
    private const string Connection = "Server=127.0.0.1;Port=1;User ID=x;Password=y;Database=z";

    [TestCase(null, "k", "s", "ConnectionStrings__Default")]
    [TestCase("c", null, "s", "Secrets__Key is not set")]
    [TestCase("c", "AAAA", "s", "Secrets__Key decodes to 3 bytes")]
    [TestCase("c", "k", null, "Auth__JwtSecret (or JWT_SECRET) is not set")]
    public async Task Missing_or_invalid_setting_stops_the_process_naming_it(string? connection, string? key, string? secret, string expected)
    {
        var (exit, output) = await RunAsync([], new()
        {
            ["ConnectionStrings__Default"] = connection is null ? null : Connection,
            ["Secrets__Key"] = key switch { null => null, "k" => ValidKey, _ => key },
            ["Auth__JwtSecret"] = secret switch { null => null, "s" => Secret, _ => secret },
        });
        Assert.That(exit, Is.EqualTo(1), output);
        Assert.That(output, Does.Contain(expected));
        Assert.That(output, Does.Not.Contain("Password=y"));
    }

    [Test]
    public async Task Token_command_prints_a_jwt_the_api_accepts()
    {
        var (exit, output) = await RunAsync(["token", "--sub", "alice", "--ttl", "2h"], new() { ["JWT_SECRET"] = Secret });
        Assert.That(exit, Is.Zero, output);
        var token = output.Trim();
        Assert.That(token.Split('.'), Has.Length.EqualTo(3), "just the JWT");

        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            IssuerSigningKey = new SymmetricSecurityKey(System.Text.Encoding.UTF8.GetBytes(Secret)),
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
        });
        Assert.That(result.IsValid, Is.True, result.Exception?.Message);
        Assert.That(result.Claims["sub"], Is.EqualTo("alice"));
        var expires = ((JsonWebToken)result.SecurityToken).ValidTo;
        Assert.That(expires, Is.EqualTo(DateTime.UtcNow.AddHours(2)).Within(TimeSpan.FromMinutes(1)));
    }

    [Test]
    public async Task Token_command_works_with_a_short_cmdb_secret_only_when_allowed()
    {
        var (exit, output) = await RunAsync(["token", "--sub", "cmdb"], new() { ["JWT_SECRET"] = "cmdb-secret", ["Auth__AllowShortSecret"] = "true" });
        Assert.That(exit, Is.Zero, output);
        Assert.That(output.Trim().Split('.'), Has.Length.EqualTo(3));

        var (refused, message) = await RunAsync(["token", "--sub", "cmdb"], new() { ["JWT_SECRET"] = "cmdb-secret" });
        Assert.That(refused, Is.EqualTo(1));
        Assert.That(message, Does.Contain("Auth__AllowShortSecret"));
    }

    [Test]
    public async Task A_short_secret_stops_the_api_naming_the_setting_unless_allowed()
    {
        var (exit, output) = await RunAsync([], new()
        {
            ["ConnectionStrings__Default"] = Connection, ["Secrets__Key"] = ValidKey, ["Auth__JwtSecret"] = "short-secret",
        });
        Assert.That(exit, Is.EqualTo(1), output);
        Assert.That(output, Does.Contain("Auth__JwtSecret is 12 bytes, shorter than 32").And.Contain("Auth__AllowShortSecret=true"));
        Assert.That(output, Does.Not.Contain("short-secret"), "the secret itself is never printed");
    }

    [Test]
    public async Task Token_command_mints_the_scopes_asked_for_and_refuses_unknown_ones()
    {
        var (exit, output) = await RunAsync(["token", "--sub", "ci", "--scope", "dns:write"], new() { ["JWT_SECRET"] = Secret });
        Assert.That(exit, Is.Zero, output);
        Assert.That(new JsonWebToken(output.Trim()).GetPayloadValue<string>("scope"), Is.EqualTo("dns:write"));

        var (refused, usage) = await RunAsync(["token", "--sub", "ci", "--scope", "dns:root"], new() { ["JWT_SECRET"] = Secret });
        Assert.That(refused, Is.EqualTo(1));
        Assert.That(usage, Does.Contain("--scope"));
    }

    [Test]
    public async Task Token_command_refuses_a_lifetime_the_api_would_refuse()
    {
        var (exit, output) = await RunAsync(["token", "--sub", "ci", "--ttl", "31d"], new() { ["JWT_SECRET"] = Secret });
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(output, Does.Contain("Auth__MaxTokenLifetime (30d)"));
    }

    [TestCase]
    [TestCase("--sub")]
    [TestCase("--sub", "a", "--ttl", "forever")]
    [TestCase("--user", "a")]
    public async Task Token_command_with_bad_arguments_exits_1_with_usage(params string[] args)
    {
        var (exit, output) = await RunAsync(["token", .. args], new() { ["Auth__JwtSecret"] = Secret });
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(output, Does.Contain("usage: dns-sync-api token --sub"));
    }

    [Test]
    public async Task Token_command_without_secret_exits_1_naming_the_setting()
    {
        var (exit, output) = await RunAsync(["token", "--sub", "a"], new());
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(output, Does.Contain("Auth__JwtSecret"));
    }

    private static async Task<(int Exit, string Output)> RunAsync(string[] args, Dictionary<string, string?> environment)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "dns-sync-api.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = AppContext.BaseDirectory };
        psi.ArgumentList.Add(dll);
        foreach (var arg in args) psi.ArgumentList.Add(arg);
        foreach (var name in new[] { "ConnectionStrings__Default", "Secrets__Key", "Auth__JwtSecret", "JWT_SECRET", "Auth__Issuer", "Auth__Audience",
                     "Auth__AllowShortSecret", "Auth__MaxTokenLifetime", "Auth__DefaultScope" })
            psi.Environment.Remove(name);
        psi.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        foreach (var (name, value) in environment)
            if (value is not null) psi.Environment[name] = value;

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("the api process did not exit");
        }
        return (process.ExitCode, await stdout + await stderr);
    }
}
