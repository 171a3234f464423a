using System.Text.Json.Serialization;

namespace DnsSync.Api.Infrastructure;

internal static class JsonSetup
{
    /// <summary>camelCase (web defaults), but strict: "120" is not a number and "yes" not a boolean.</summary>
    public static IServiceCollection AddApiJson(this IServiceCollection services) =>
        services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
            options.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        });
}
