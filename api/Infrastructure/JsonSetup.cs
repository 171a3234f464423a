using System.Text.Json.Serialization;

namespace DnsSync.Api.Infrastructure;

internal static class JsonSetup
{
    /// <summary>
    /// camelCase (web defaults), but strict: "120" is not a number, "yes" not a boolean, and a member the request type
    /// does not have is refused by name instead of silently dropped (a typo such as "tll" would otherwise be lost).
    /// </summary>
    public static IServiceCollection AddApiJson(this IServiceCollection services) =>
        services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
            options.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
            options.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        });
}
