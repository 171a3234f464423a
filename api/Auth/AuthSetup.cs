using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;

namespace DnsSync.Api.Auth;

/// <summary>Bearer JWT (HS256 only) for every route except health, OpenAPI and the reference page.</summary>
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
                    SignatureValidator = (token, _) => Hs256.Validate(token, settings.ValidationKeys),
                    ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                    RequireSignedTokens = true,
                    RequireExpirationTime = true,
                    ValidateLifetime = true,
                    ClockSkew = TimeSpan.FromSeconds(30),
                    ValidateIssuer = settings.Issuer is not null,
                    ValidIssuer = settings.Issuer,
                    ValidateAudience = settings.Audience is not null,
                    ValidAudience = settings.Audience,
                };
                options.Events = new JwtBearerEvents { OnChallenge = WriteChallengeAsync };
            });
        services.AddAuthorization();
        return services;
    }

    /// <summary>The 401 body is the envelope; it says what was wrong without echoing the token.</summary>
    private static Task WriteChallengeAsync(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        context.Response.Headers.WWWAuthenticate = "Bearer";
        var message = context.AuthenticateFailure switch
        {
            null => "authentication required: send Authorization: Bearer <JWT>",
            SecurityTokenExpiredException => "token expired: mint a new one",
            SecurityTokenInvalidIssuerException => "token issuer is not accepted",
            SecurityTokenInvalidAudienceException => "token audience is not accepted",
            SecurityTokenNoExpirationException => "token has no expiry (exp)",
            SecurityTokenInvalidAlgorithmException or SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException
                => "token signature is invalid (HS256 with the configured secret is required)",
            _ => "token is invalid",
        };
        return ErrorHandling.WriteAsync(context.HttpContext, StatusCodes.Status401Unauthorized, message);
    }
}
