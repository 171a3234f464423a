using DnsSync.Api.ApiKeys;
using DnsSync.Api.Audits;
using DnsSync.Api.Auth;
using DnsSync.Api.Domains;
using DnsSync.Api.Health;
using DnsSync.Api.Infrastructure;
using DnsSync.Api.Providers;
using DnsSync.Api.Records;
using DnsSync.Api.Ui;
using DnsSync.Api.Ui.Session;
using DnsSync.Api.ZoneImports;
using DnsSync.Shared.Data;
using Serilog;

Log.Logger = new LoggerConfiguration().WriteTo.Console().CreateBootstrapLogger();

try
{
    var builder = WebApplication.CreateBuilder(args);
    if (args is ["token", .. var tokenArgs])
        return TokenCommand.Run(tokenArgs, builder.Configuration, Console.Out, Console.Error);
    if (args is ["reencrypt-tokens"])
        return await ReencryptTokensCommand.RunAsync(builder.Configuration, Console.Out, Console.Error);
    if (args is ["signin-link", .. var linkArgs])
        return await SignInLinkCommand.RunAsync(linkArgs, builder.Configuration, Console.Out, Console.Error);

    // Settings are checked here, before anything listens: a wrong one stops the process with its name.
    var jwt = JwtSettings.FromConfiguration(builder.Configuration);
    var rateLimit = RateLimitSettings.FromConfiguration(builder.Configuration);
    // The record create batch keeps its intermediate results in session variables (@dns_*).
    builder.Services.AddDnsSyncDatabase(builder.Configuration, connection => connection.AllowUserVariables = true);
    builder.Services.AddSecretProtection(builder.Configuration);

    builder.AddApiLogging();
    builder.Services.AddJwtAuth(jwt);
    builder.AddRequestLimits(rateLimit, largestBody: BulkCreateRecordsRequest.MaxBodyBytes);
    builder.Services.AddEnvelopeErrors();
    builder.Services.AddApiJson();
    builder.Services.AddApiDocumentation();
    builder.Services.AddSingleton(TimeProvider.System);
    builder.Services.AddSingleton<RecordTotals>();
    builder.Services.AddSingleton<RecordQueries>();
    builder.Services.AddSingleton<BulkCreateQueries>();
    builder.Services.AddSingleton<DomainQueries>();
    builder.Services.AddSingleton<ApiKeyQueries>();
    builder.Services.AddSingleton<ProviderQueries>();
    builder.Services.AddSingleton<AuditQueries>();
    builder.Services.AddSingleton<PlanQueries>();
    builder.Services.AddSingleton<ImportQueries>();
    builder.Services.AddUi(builder.Configuration);
    builder.Services.AddSingleton<StrandedRecordQueries>();
    builder.Services.AddSingleton<ZoneImportQueries>();

    var app = builder.Build();
    if (jwt.IsShort)
        app.Logger.LogWarning("Auth__JwtSecret is shorter than {Bytes} bytes, accepted because Auth__AllowShortSecret=true (CMDB tokens); use a longer secret when the CMDB can (openssl rand -base64 48)",
            JwtSettings.MinSecretBytes);
    app.UseApiRequestLogging();
    app.UseEnvelopeErrors();
    app.UseUiAssets();
    app.UseRouting();
    app.UseRequestBodyLimits();
    app.UseAuthentication();
    app.UseRateLimiter();
    app.UseAuthorization();
    app.UseAntiforgery();

    app.MapHealthEndpoints();
    app.MapApiDocumentation();
    var v1 = app.MapGroup("/api/v1");
    v1.MapRecordEndpoints();
    v1.MapDomainEndpoints();
    v1.MapApiKeyEndpoints();
    v1.MapProviderEndpoints();
    v1.MapAuditEndpoints();
    app.MapUi();
    v1.MapStrandedRecordEndpoints();
    v1.MapZoneImportEndpoints();

    await app.RunAsync();
    return 0;
}
catch (Exception ex) when (ex is not HostAbortedException)
{
    // A configuration error's message names the setting; it leads the line so it is what an operator reads.
    Log.Fatal(ex, "api stopped: {Reason}", ex.Message);
    return 1;
}
finally
{
    await Log.CloseAndFlushAsync();
}

public partial class Program;
