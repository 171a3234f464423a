using DnsSync.Shared.Data;
using DnsSync.Worker.Auditing;
using DnsSync.Worker.Claiming;
using DnsSync.Worker.Cloudflare;
using DnsSync.Worker.Metrics;
using DnsSync.Worker.Reconciling;
using DnsSync.Worker.Rebinding;
using DnsSync.Worker.ZoneImports;
using Microsoft.Extensions.Options;
using Refit;

namespace DnsSync.Worker;

/// <summary>The worker's services; Program.cs and the tests compose the same graph.</summary>
internal static class DnsWorkerRegistration
{
    public static IServiceCollection AddDnsWorker(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddDnsSyncDatabase(configuration);
        services.AddSecretProtection(configuration);
        services.TryAddSingletonTimeProvider();

        services.AddOptions<DnsWorkerOptions>().Bind(configuration.GetSection(DnsWorkerOptions.Section)).ValidateOnStart();
        services.AddOptions<CloudflareOptions>().Bind(configuration.GetSection(CloudflareOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DnsWorkerOptions>, DnsWorkerOptionsValidator>();
        services.AddSingleton<IValidateOptions<CloudflareOptions>, CloudflareOptionsValidator>();

        services.AddSingleton<RequestBudget>();
        services.AddTransient<TokenRateLimitHandler>();
        services.AddTransient<CloudflareAuthHandler>();
        services.AddRefitGeneratedClient<ICloudflareApi>(new RefitSettings
            {
                ContentSerializer = new SystemTextJsonContentSerializer(new System.Text.Json.JsonSerializerOptions
                {
                    DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
                }),
            })
            .ConfigureHttpClient((sp, client) =>
            {
                var o = sp.GetRequiredService<IOptions<CloudflareOptions>>().Value;
                // Refit appends "/zones/…" to the base path, so the base must not end with a slash.
                client.BaseAddress = new Uri(o.BaseUrl.TrimEnd('/'));
                client.Timeout = TimeSpan.FromSeconds(o.TimeoutSec);
            })
            // Outermost: budget and Retry-After per credential, then the credential's headers on the request.
            .AddHttpMessageHandler<TokenRateLimitHandler>()
            .AddHttpMessageHandler<CloudflareAuthHandler>()
            // HttpClient's own logging prints headers at Trace level: never the token or the Global API Key.
            .RedactLoggedHeaders(_ => true);
        services.AddSingleton<CloudflareClient>();
        services.AddSingleton<CredentialStore>();

        services.AddSingleton<PartialBatchPacer>();
        services.AddSingleton<RecordClaimer>();
        services.AddSingleton<RecordWriteBack>();
        services.AddSingleton<Installation>();
        services.AddSingleton<RecordReconciler>();
        services.AddSingleton<ZoneReconciler>();
        services.AddSingleton<SyncPass>();
        services.AddSingleton<ZoneAuditStore>();
        services.AddSingleton<ZoneAuditor>();
        services.AddHostedService<MetricsServerService>();
        services.AddHostedService<DnsWorkerService>();
        services.AddHostedService<ZoneAuditService>();
        services.AddSingleton<ZoneImporter>();
        services.AddSingleton<StrandedRecordStore>();
        services.AddSingleton<StrandedRecordMover>();
        services.AddHostedService<JobsService>();
        return services;
    }

    private static void TryAddSingletonTimeProvider(this IServiceCollection services)
    {
        if (services.All(d => d.ServiceType != typeof(TimeProvider))) services.AddSingleton(TimeProvider.System);
    }
}
