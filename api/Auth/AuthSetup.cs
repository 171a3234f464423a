using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DnsSync.Api.Auth;

/// <summary>
/// Bearer JWT (HS256 only, Microsoft's JwtBearer handler) for every route except health, OpenAPI and the reference
/// page, and one authorization policy per scope: read for every GET, write for record changes, admin for domains,
/// API keys and bindings.
/// </summary>
internal static class AuthSetup
{
    public static IServiceCollection AddJwtAuth(this IServiceCollection services, JwtSettings settings)
    {
        services.AddSingleton(settings);
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
            .AddJwtBearer(options =>
            {
                options.MapInboundClaims = false;
                options.IncludeErrorDetails = false;
                options.TokenValidationParameters = new TokenValidationParameters
                {
                    IssuerSigningKeys = settings.ValidationKeys,
                    ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                    RequireSignedTokens = true,
                    RequireExpirationTime = true,
                    ValidateLifetime = true,
                    ValidateIssuerSigningKey = true,
                    ClockSkew = TimeSpan.FromSeconds(30),
                    ValidateIssuer = settings.Issuer is not null,
                    ValidIssuer = settings.Issuer,
                    ValidateAudience = settings.Audience is not null,
                    ValidAudience = settings.Audience,
                };
                options.Events = new JwtBearerEvents
                {
                    OnTokenValidated = context => CheckLifetime(context, settings.MaxLifetime),
                    OnChallenge = WriteChallengeAsync,
                };
            });
        services.AddSingleton<IAuthorizationHandler, ScopeHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ForbiddenEnvelopeHandler>();
        var authorization = services.AddAuthorizationBuilder();
        foreach (var level in new[] { AccessLevel.Read, AccessLevel.Write, AccessLevel.Admin })
            authorization.AddPolicy(Scopes.Name(level), policy => policy.RequireAuthenticatedUser().AddRequirements(new ScopeRequirement(level)));
        return services;
    }

    /// <summary>The route needs a token granting at least <paramref name="level"/>.</summary>
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, AccessLevel level) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(Scopes.Name(level));

    /// <summary>A long-lived token is a leaked token that keeps working: exp − iat (or exp − now without iat) is capped.</summary>
    private static Task CheckLifetime(TokenValidatedContext context, TimeSpan max)
    {
        if (context.SecurityToken is JsonWebToken jwt)
        {
            var from = jwt.TryGetPayloadValue<long>("iat", out _) ? jwt.IssuedAt : DateTime.UtcNow;
            if (jwt.ValidTo - from > max) context.Fail(new TokenLifetimeTooLongException(max));
        }
        return Task.CompletedTask;
    }

    /// <summary>The 401 body is the envelope; it says what was wrong without echoing the token.</summary>
    private static Task WriteChallengeAsync(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return ErrorHandling.WriteAsync(context.HttpContext, StatusCodes.Status401Unauthorized, DescribeFailure(context.AuthenticateFailure));
    }

    /// <summary>What was wrong with a token, in words a person can act on, without echoing it (401s and the status page's sign-in).</summary>
    public static string DescribeFailure(Exception? failure) => failure switch
    {
        null => "authentication required: send Authorization: Bearer <JWT>",
        TokenLifetimeTooLongException tooLong => tooLong.Message,
        SecurityTokenExpiredException => "token expired: mint a new one",
        SecurityTokenNotYetValidException => "token is not valid yet (nbf)",
        SecurityTokenInvalidIssuerException => "token issuer is not accepted",
        SecurityTokenInvalidAudienceException => "token audience is not accepted",
        SecurityTokenNoExpirationException => "token has no expiry (exp)",
        SecurityTokenInvalidAlgorithmException or SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException
            => "token signature is invalid (HS256 with the configured secret is required)",
        _ => "token is invalid",
    };
}

internal sealed class TokenLifetimeTooLongException(TimeSpan max) : SecurityTokenValidationException(
    $"token lifetime (exp − iat) exceeds Auth__MaxTokenLifetime ({TokenCommand.FormatDuration(max)}): mint a shorter-lived token");

/// <summary>The route's minimum scope; <see cref="ScopeHandler"/> decides it.</summary>
internal sealed record ScopeRequirement(AccessLevel Level) : IAuthorizationRequirement;

internal sealed class ScopeHandler(JwtSettings settings) : AuthorizationHandler<ScopeRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ScopeRequirement requirement)
    {
        if (Scopes.Of(context.User, settings.DefaultLevel) >= requirement.Level) context.Succeed(requirement);
        return Task.CompletedTask;
    }
}

/// <summary>A 403 is the envelope naming the scope the route needs and the one the token has.</summary>
internal sealed class ForbiddenEnvelopeHandler(JwtSettings settings) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        // The status page's refusals redirect to its own pages (its cookie scheme decides).
        if (!authorizeResult.Forbidden || Ui.Session.UiAuth.IsUiPolicy(policy)) return _default.HandleAsync(next, context, policy, authorizeResult);
        var needed = authorizeResult.AuthorizationFailure?.FailedRequirements.OfType<ScopeRequirement>().Max(r => r.Level) ?? AccessLevel.Admin;
        var has = Scopes.Of(context.User, settings.DefaultLevel);
        return ErrorHandling.WriteAsync(context, StatusCodes.Status403Forbidden,
            $"forbidden: {context.Request.Method} {context.Request.Path} needs the scope {Scopes.Name(needed)}; this token grants {Scopes.Name(has)}",
            new ErrorData(RequiredScope: Scopes.Name(needed)));
    }
}
