using System.Globalization;
using System.Threading.RateLimiting;
using DnsSync.Api.Auth;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.RateLimiting;

namespace DnsSync.Api.Infrastructure;

/// <summary>Per-route body size limit (metadata); routes without it take <see cref="RequestLimits.DefaultMaxBodyBytes"/>.</summary>
internal sealed record MaxBodySize(long Bytes);

/// <summary>
/// <c>RateLimit:PermitsPerSecond</c> (0 turns the limit off) and <c>RateLimit:Burst</c>: a token bucket per client —
/// the token's subject, or the remote address before a token is accepted.
/// </summary>
internal sealed record RateLimitSettings(int PermitsPerSecond, int Burst)
{
    public const int DefaultPermitsPerSecond = 100;
    public const int DefaultBurst = 200;

    public static RateLimitSettings FromConfiguration(IConfiguration configuration) => new(
        Read(configuration, "RateLimit:PermitsPerSecond", DefaultPermitsPerSecond, min: 0),
        Read(configuration, "RateLimit:Burst", DefaultBurst, min: 1));

    private static int Read(IConfiguration configuration, string key, int fallback, int min)
    {
        var text = configuration[key];
        if (string.IsNullOrWhiteSpace(text)) return fallback;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min) return value;
        throw new InvalidOperationException($"{key.Replace(":", "__", StringComparison.Ordinal)} must be an integer of at least {min} (got '{text}').");
    }
}

/// <summary>Body size limits (413 before the body is read) and the per-client rate limit (429 with Retry-After).</summary>
internal static class RequestLimits
{
    public const long DefaultMaxBodyBytes = 64 * 1024;

    public static TBuilder WithMaxBodySize<TBuilder>(this TBuilder builder, long bytes) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new MaxBodySize(bytes));

    public static WebApplicationBuilder AddRequestLimits(this WebApplicationBuilder builder, RateLimitSettings settings, long largestBody)
    {
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = largestBody);
        builder.Services.AddRateLimiter(options =>
        {
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                settings.PermitsPerSecond == 0 || IsExempt(context.Request.Path)
                    ? RateLimitPartition.GetNoLimiter("")
                    : RateLimitPartition.GetTokenBucketLimiter(ClientKey(context), _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = settings.Burst,
                        TokensPerPeriod = settings.PermitsPerSecond,
                        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    }));
            options.OnRejected = (context, _) =>
            {
                var seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
                    ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))
                    : 1;
                context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                return new ValueTask(ErrorHandling.WriteAsync(context.HttpContext, StatusCodes.Status429TooManyRequests,
                    $"too many requests from this client (limit {settings.PermitsPerSecond}/s, bursts of {settings.Burst}): retry after {seconds} s",
                    new ErrorData(RetryAfterSeconds: seconds)));
            };
        });
        return builder;
    }

    /// <summary>Refuses a body larger than the route allows from its Content-Length, and caps what is read of one without it.</summary>
    public static WebApplication UseRequestBodyLimits(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            var limit = LimitOf(context);
            if (context.Request.ContentLength > limit) return WriteTooLargeAsync(context);
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
                feature.MaxRequestBodySize = limit;
            else if (context.Request.ContentLength is null)
                context.Request.Body = new LengthLimitedStream(context.Request.Body, limit);
            return next(context);
        });
        return app;
    }

    public static Task WriteTooLargeAsync(HttpContext context)
    {
        var limit = LimitOf(context);
        // The app never reads the body; Kestrel discards it after the answer (up to its own limit, the largest any route
        // takes), so the client reads this answer instead of a reset connection.
        return ErrorHandling.WriteAsync(context, StatusCodes.Status413PayloadTooLarge,
            $"request body is larger than {limit / 1024} KiB, the limit of {context.Request.Method} {context.Request.Path}",
            new ErrorData(MaxBodyBytes: limit));
    }

    private static long LimitOf(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<MaxBodySize>()?.Bytes ?? DefaultMaxBodyBytes;

    private static bool IsExempt(PathString path) =>
        path.StartsWithSegments("/health") || path.StartsWithSegments("/openapi") || path.StartsWithSegments("/scalar");

    private static string ClientKey(HttpContext context) =>
        Scopes.Subject(context.User) is { } subject ? "sub:" + subject : "ip:" + context.Connection.RemoteIpAddress;

    /// <summary>A body stream that fails like Kestrel's limit (413) once more than the limit has been read.</summary>
    private sealed class LengthLimitedStream(Stream inner, long limit) : Stream
    {
        private long _read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private int Count(int read)
        {
            _read += read;
            if (_read > limit) throw new BadHttpRequestException("request body too large", StatusCodes.Status413PayloadTooLarge);
            return read;
        }
    }
}
