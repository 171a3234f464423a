using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;
using Serilog.Events;

namespace DnsSync.Api.Tests;

/// <summary>The real api pipeline on a test server, configured like production through settings, logs captured.</summary>
public sealed class ApiFactory(string connectionString, IReadOnlyDictionary<string, string?>? settings = null,
    Action<IServiceCollection>? services = null) : WebApplicationFactory<Program>
{
    public const string JwtSecret = "api-tests-jwt-secret-0123456789-abcdefghijklmnop";
    public static readonly string SecretsKey = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)(i * 7)).ToArray());

    public CapturedLogs Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("ConnectionStrings:Default", connectionString);
        builder.UseSetting("Secrets:Key", SecretsKey);
        builder.UseSetting("Auth:JwtSecret", JwtSecret);
        // Capture everything down to Debug, framework included, so the secret tests see what an operator could turn on.
        builder.UseSetting("Serilog:MinimumLevel:Default", "Debug");
        builder.UseSetting("Serilog:MinimumLevel:Override:Microsoft.AspNetCore", "Debug");
        builder.UseSetting("Serilog:MinimumLevel:Override:Microsoft.Extensions", "Warning");
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) builder.UseSetting(key, value);
        builder.ConfigureTestServices(s =>
        {
            s.AddSingleton<ILogEventSink>(Logs);
            services?.Invoke(s);
        });
    }
}

/// <summary>A Serilog sink that keeps every event, rendered with its properties and exception.</summary>
public sealed class CapturedLogs : ILogEventSink
{
    private readonly ConcurrentQueue<LogEvent> _events = new();

    public void Emit(LogEvent logEvent) => _events.Enqueue(logEvent);

    public IReadOnlyList<LogEvent> Events => _events.ToArray();

    /// <summary>Every event as text: message, each property and the exception.</summary>
    public string AllText() => string.Join('\n', _events.Select(e =>
        $"{e.Level} {e.RenderMessage()} {string.Join(' ', e.Properties.Select(p => $"{p.Key}={p.Value}"))} {e.Exception}"));
}
