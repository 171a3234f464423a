using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using DnsSync.Reliability.Tests.Support;
using DnsSync.Testing;
using MySqlConnector;

namespace DnsSync.Reliability.Tests;

/// <summary>
/// Scenario 5: at least 2,000 seeded random requests, every one invalid by construction (bad auth, wrong method or
/// content type, malformed JSON, wrong JSON types, out-of-range numbers, huge, unicode and SQL-like strings, unknown
/// or conflicting ids) across every route → no 5xx, every reply in the envelope, no table changed.
/// </summary>
public sealed class HostileInputTests
{
    private const int Requests = 2400;
    private static readonly string[] Tables =
    [
        "domains", "api_keys", "domain_dns_providers", "domain_dns_records", "zone_audits", "zone_audit_differences", "stranded_records",
        "zone_imports", "VersionInfo",
    ];

    private static readonly string[] SqlLike =
    [
        "' OR '1'='1", "'; DROP TABLE domain_dns_records; --", "\" OR \"\"=\"", "1; DELETE FROM domains", "' UNION SELECT api_token FROM api_keys --",
        "\\'; SHUTDOWN; --", "admin'--", "%' AND SLEEP(5) AND '%'='", "`id`", "0x27 OR 1=1",
    ];

    private static readonly string[] Unicode =
    [
        "💥 boom", "名 前", "مرحبا بالعالم", "zero\u200Bwidth space", "e\u0301 combining", "\u202Eevil rtl", "tab\there", "nul\u0000byte",
        "lone \uD800 surrogate", "ǅ ǈ ǋ", "ｆｕｌｌ ｗｉｄｔｈ",
    ];

    [Test]
    public async Task Generated_hostile_requests_get_no_5xx_always_the_envelope_and_write_no_row()
    {
        var seed = Scenario.Seed();
        TestContext.Progress.WriteLine($"[reliability] hostile-input scenario seed {seed} (RELIABILITY_SEED={seed} repeats it)");
        var random = new Random(seed);
        await using var stack = await LocalStack.StartAsync(new LocalStackOptions
        {
            LogDirectory = Scenario.LogDirectory("hostile-input"),
            EmulatorArgs = Scenario.EmulatorArgs,
            // No worker: the tables must not change while the hostile requests run.
            Workers = 0,
        });
        var domainId = stack.Zones["example.com"].DomainId;
        var record = await Scenario.PostAsync(stack.ApiClient, "api/v1/dns/records/create", new
        {
            domainId, type = "A", name = "existing", value = "192.0.2.1", ttl = 300, ownerType = Scenario.OwnerType, ownerId = 1,
        }, CancellationToken.None);
        var recordId = record["id"]!.GetValue<long>();
        var keyId = (await stack.ApiClient.GetFromJsonNodeAsync("api/v1/api-keys"))["data"]!["list"]![0]!["id"]!.GetValue<long>();
        var generator = new Generator(random, stack, domainId, recordId, keyId);
        var requests = Enumerable.Range(0, Requests).Select(_ => generator.Next()).ToList();
        var before = await SnapshotAsync(stack.ConnectionString);

        var watch = Stopwatch.StartNew();
        var outcomes = new (HostileRequest Request, int Status, string? Problem)[requests.Count];
        using var http = new HttpClient { BaseAddress = stack.ApiUrl, Timeout = TimeSpan.FromSeconds(30) };
        await Parallel.ForEachAsync(Enumerable.Range(0, requests.Count), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            var request = requests[i];
            using var message = request.ToMessage();
            using var response = await http.SendAsync(message, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            outcomes[i] = (request, (int)response.StatusCode, Check(request, (int)response.StatusCode, body));
        });
        var elapsed = watch.Elapsed;
        var after = await SnapshotAsync(stack.ConnectionString);

        var problems = outcomes.Where(o => o.Problem is not null).Select(o => $"{o.Request} → {o.Status}: {o.Problem}").ToList();
        await ScenarioResults.WriteAsync("5-hostile-input", stack.ConnectionString, new Dictionary<string, object?>
        {
            ["seed"] = seed,
            ["requests"] = outcomes.Length,
            ["byFamily"] = outcomes.GroupBy(o => o.Request.Family).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            ["byRoute"] = outcomes.GroupBy(o => $"{o.Request.Route}").OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            ["byStatus"] = outcomes.GroupBy(o => o.Status).OrderBy(g => g.Key).ToDictionary(g => g.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), g => g.Count()),
            ["replies5xx"] = outcomes.Count(o => o.Status >= 500),
            ["repliesNotInEnvelope"] = outcomes.Count(o => o.Problem?.StartsWith("envelope", StringComparison.Ordinal) == true),
            ["refusedByKestrelBeforeTheApp"] = outcomes.Count(o => o.Request.Family == "protocol"),
            ["problems"] = problems.Count,
            ["tablesChanged"] = Tables.Count(t => before[t] != after[t]),
            ["rowsBefore"] = before.ToDictionary(t => t.Key, t => t.Value.Rows),
            ["rowsAfter"] = after.ToDictionary(t => t.Key, t => t.Value.Rows),
            ["seconds"] = Math.Round(elapsed.TotalSeconds, 1),
        });

        Assert.Multiple(() =>
        {
            Assert.That(outcomes, Has.Length.GreaterThanOrEqualTo(2000));
            Assert.That(problems, Is.Empty, string.Join("\n", problems.Take(15)));
            Assert.That(after, Is.EqualTo(before), "no table changed: row counts and CHECKSUM TABLE");
            Assert.That(stack.Api.HasExited, Is.False);
        });
    }

    /// <summary>Null when the reply is as required: no 5xx, the envelope, and a rejection unless the route only reads.</summary>
    private static string? Check(HostileRequest request, int status, string body)
    {
        if (status >= 500) return "5xx: " + Shorten(body);
        if (request.Family == "protocol") return status == 400 ? null : $"protocol-level refusal expected 400, got {status}";
        JsonObject? envelope;
        try
        {
            envelope = JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException)
        {
            return "envelope: body is not JSON: " + Shorten(body);
        }
        var ok = status is >= 200 and < 300;
        if (envelope?["code"] is not JsonValue code || !code.TryGetValue<int>(out var c) || c != (ok ? 0 : status)
            || envelope["message"] is not JsonValue message || !message.TryGetValue<string>(out _) || !envelope.ContainsKey("data"))
            return "envelope: " + Shorten(body);
        if (ok && !request.MayBeAccepted) return "accepted: " + Shorten(body);
        if (ok && request.Route.EndsWith("/delete", StringComparison.Ordinal) && envelope["data"]?["affected"]?.GetValue<int>() != 0)
            return "delete affected rows: " + Shorten(body);
        return null;
    }

    private static string Shorten(string s) => s.Length <= 300 ? s : s[..300] + "…";

    private static async Task<Dictionary<string, (long Rows, long Checksum)>> SnapshotAsync(string connectionString)
    {
        await using var connection = new MySqlConnection(connectionString);
        var result = new Dictionary<string, (long, long)>();
        foreach (var table in Tables)
        {
            var rows = await connection.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM `{table}`");
            var checksum = (await connection.QuerySingleAsync($"CHECKSUM TABLE `{table}`") as IDictionary<string, object>)!["Checksum"];
            result[table] = (rows, Convert.ToInt64(checksum, System.Globalization.CultureInfo.InvariantCulture));
        }
        return result;
    }

    /// <summary>One generated request. <see cref="MayBeAccepted"/>: a read, which may answer 200 (it writes nothing).</summary>
    private sealed record HostileRequest(string Family, string Method, string Route, string Path, byte[]? Body, string? ContentType, string? Authorization, bool MayBeAccepted)
    {
        public HttpRequestMessage ToMessage()
        {
            var message = new HttpRequestMessage(new HttpMethod(Method), Path);
            if (Authorization is not null) message.Headers.TryAddWithoutValidation("Authorization", Authorization);
            if (Body is not null)
            {
                message.Content = new ByteArrayContent(Body);
                if (ContentType is not null) message.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
            }
            return message;
        }

        public override string ToString() =>
            $"[{Family}] {Method} {(Path.Length > 120 ? Path[..120] + "…" : Path)} body {(Body is null ? "none" : Shorten(Encoding.UTF8.GetString(Body[..Math.Min(Body.Length, 160)])))}";
    }

    /// <summary>Builds requests that no correct api may accept: each valid body gets exactly one defect that is a defect whatever the other fields hold.</summary>
    private sealed class Generator(Random random, LocalStack stack, long domainId, long recordId, long keyId)
    {
        private const long UnknownId = 987_654_321;
        private readonly string goodToken = stack.MintToken(TimeSpan.FromHours(1));

        private readonly string[] postRoutes =
        [
            "dns/records/create", "dns/records/update", "dns/records/delete", "dns/records/retry",
            "domains/create", "api-keys/create", "api-keys/delete", "dns/providers/bind",
        ];

        private readonly string[] getRoutes = ["dns/records", "domains", "api-keys", "dns/providers"];

        /// <summary>
        /// Routes added since (bulk create, audit, import, zone import): attacked with bad auth, content types,
        /// malformed JSON and wrong JSON types, whose refusal does not depend on the route's own rules.
        /// </summary>
        private string[] LaterPostRoutes => ["dns/records/bulk-create", $"domains/{domainId}/audit", $"domains/{domainId}/import", "domains/import-zones"];

        private static bool OptionalBody(string route) => route.EndsWith("/audit", StringComparison.Ordinal) || route.EndsWith("/import", StringComparison.Ordinal);

        private string AnyPostRoute() => random.Next(3) == 0 ? Pick(LaterPostRoutes) : Pick(postRoutes);

        public HostileRequest Next() => random.Next(10) switch
        {
            0 => BadAuth(),
            1 => WrongMethod(),
            2 => WrongContentType(),
            3 => MalformedJson(),
            4 or 5 => WrongType(),
            6 or 7 => InvalidValue(),
            8 => HostileQuery(),
            _ => HostilePath(),
        };

        /// <summary>A body the api would accept (or refuse only for a conflict) with a good token.</summary>
        private JsonObject ValidBody(string route) => route switch
        {
            "dns/records/create" => new() { ["domainId"] = domainId, ["type"] = "A", ["name"] = $"hostile-{random.Next(1_000_000)}", ["value"] = "192.0.2.7", ["ttl"] = 300, ["proxied"] = false, ["ownerType"] = Scenario.OwnerType, ["ownerId"] = 7 },
            "dns/records/update" => new() { ["id"] = recordId, ["value"] = "192.0.2.8", ["ttl"] = 600, ["proxied"] = false },
            "dns/records/delete" => new() { ["ids"] = new JsonArray(recordId) },
            "dns/records/retry" => new() { ["id"] = recordId },
            "domains/create" => new() { ["domain"] = $"hostile-{random.Next(1_000_000)}.test" },
            "api-keys/create" => new() { ["name"] = "hostile key", ["provider"] = "cloudflare", ["apiToken"] = "token-value-123" },
            "api-keys/delete" => new() { ["ids"] = new JsonArray(keyId) },
            "dns/records/bulk-create" => new() { ["records"] = new JsonArray(ValidBody("dns/records/create"), ValidBody("dns/records/create")) },
            "domains/import-zones" => new() { ["apiKeyId"] = keyId, ["dryRun"] = true },
            _ when route.EndsWith("/audit", StringComparison.Ordinal) => new() { ["confirm"] = false },
            _ when route.EndsWith("/import", StringComparison.Ordinal) => new() { ["dryRun"] = true },
            _ => new() { ["domainId"] = domainId, ["provider"] = "cloudflare", ["providerZoneId"] = stack.Zones["example.com"].ZoneId, ["apiKeyId"] = keyId },
        };

        private T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];

        private HostileRequest Post(string family, string route, JsonNode? body) =>
            new(family, "POST", route, "api/v1/" + route, body is null ? null : Encoding.UTF8.GetBytes(body.ToJsonString()), "application/json", "Bearer " + goodToken, false);

        private HostileRequest BadAuth()
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var header = Pick(new Func<string?>[]
            {
                () => null,
                () => "Bearer",
                () => "Bearer ",
                () => "Basic dXNlcjpwYXNz",
                () => "bearer" + goodToken,
                () => "Bearer not.a.jwt",
                () => "Bearer " + new string('A', 4000),
                () => "Bearer " + stack.MintToken(TimeSpan.FromHours(-1)),
                () => "Bearer " + Jwt.Create("forged-secret-forged-secret-forged-secret-00", "attacker", TimeSpan.FromHours(1)),
                () => "Bearer " + Jwt.Sign(stack.JwtSecret, new { alg = "HS512", typ = "JWT" }, new { sub = "x", exp = now + 3600 }),
                () => "Bearer " + Unsigned(new { alg = "none", typ = "JWT" }, new { sub = "x", exp = now + 3600 }),
                () => "Bearer " + Jwt.Sign(stack.JwtSecret, new { alg = "HS256", typ = "JWT" }, new { sub = "x", exp = now + 3600, nbf = now + 3000 }),
                () => "Bearer " + Tampered(goodToken),
                () => "Bearer " + goodToken[..^3],
            })();
            // A body that would be accepted with a good token: only authentication stands in the way.
            if (random.Next(3) == 0)
            {
                var route = Pick(getRoutes);
                return new("auth", "GET", route, "api/v1/" + route, null, null, header, false);
            }
            var post = AnyPostRoute();
            return Post("auth", post, ValidBody(post)) with { Authorization = header };
        }

        private HostileRequest WrongMethod()
        {
            var method = Pick(new[] { "PUT", "DELETE", "PATCH", "GET", "POST" });
            if (method == "POST")
            {
                var route = Pick(getRoutes);
                return Post("method", route, ValidBody("dns/records/create")) with { Route = route, Path = "api/v1/" + route };
            }
            var post = Pick(postRoutes);
            var request = Post("method", post, method == "GET" ? null : ValidBody(post)) with { Method = method };
            return method == "GET" ? request with { ContentType = null } : request;
        }

        private HostileRequest WrongContentType()
        {
            var route = AnyPostRoute();
            var contentType = Pick(new string?[] { "text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx", "text/json; charset=utf-16", null });
            return Post("content-type", route, ValidBody(route)) with { ContentType = contentType };
        }

        private HostileRequest MalformedJson()
        {
            var route = AnyPostRoute();
            var valid = ValidBody(route).ToJsonString();
            var body = Pick(new Func<string>[]
            {
                () => valid[..random.Next(1, valid.Length - 1)],
                () => valid.Replace(":", "", StringComparison.Ordinal),
                () => valid.Replace("}", ",}", StringComparison.Ordinal),
                () => valid.Replace("\"", "'", StringComparison.Ordinal),
                () => "{",
                () => "",
                () => "null",
                () => "[]",
                () => "\"a string\"",
                () => "42",
                () => "{\"a\":}",
                () => "/* comment */ " + valid,
                () => valid + " trailing",
                () => new string('[', 5000) + new string(']', 5000),
                () => "{\"ids\":" + new string('[', 3000) + new string(']', 3000) + "}",
                () => Encoding.Latin1.GetString(Enumerable.Range(0, 64).Select(_ => (byte)random.Next(256)).ToArray()),
            })();
            // Audit and import take an optional body: none (or JSON null) is a valid request for their defaults.
            if (body is "" or "null" && OptionalBody(route)) body = "{";
            return new("malformed-json", "POST", route, "api/v1/" + route, Encoding.UTF8.GetBytes(body), "application/json", "Bearer " + goodToken, false);
        }

        private HostileRequest WrongType()
        {
            var route = AnyPostRoute();
            var body = ValidBody(route);
            var field = Pick(body.Select(p => p.Key).ToList());
            var current = body[field];
            JsonNode?[] wrong = current switch
            {
                JsonArray => [JsonValue.Create("1,2"), new JsonObject(), new JsonArray("a"), new JsonArray(1.5), new JsonArray(JsonValue.Create("9223372036854775808")), JsonValue.Create(true)],
                JsonValue v when v.TryGetValue<bool>(out _) => [JsonValue.Create("yes"), JsonValue.Create(1), new JsonArray(), new JsonObject()],
                JsonValue v when v.TryGetValue<string>(out _) => [JsonValue.Create(123), JsonValue.Create(true), new JsonArray("x"), new JsonObject { ["x"] = 1 }],
                _ => [JsonValue.Create("abc"), JsonValue.Create(true), JsonValue.Create(1.5), new JsonArray(1), new JsonObject(), JsonValue.Create("1e3x")],
            };
            body[field] = Pick(wrong)?.DeepClone();
            // Numbers beyond the type's range must be written raw: JsonNode would not produce them.
            var text = body.ToJsonString();
            if (current is JsonValue n && n.TryGetValue<long>(out _) && random.Next(3) == 0)
                text = ValidBody(route).ToJsonString().Replace($"\"{field}\":{n}", $"\"{field}\":{Pick(new[] { "9223372036854775808", "-9223372036854775809", "1e400", "1.0e2x" })}", StringComparison.Ordinal);
            if (current is JsonValue i && field == "ttl" && random.Next(2) == 0)
                text = ValidBody(route).ToJsonString().Replace($"\"ttl\":{i}", $"\"ttl\":{Pick(new[] { "2147483648", "-2147483649", "300.5" })}", StringComparison.Ordinal);
            return new("wrong-type", "POST", route, "api/v1/" + route, Encoding.UTF8.GetBytes(text), "application/json", "Bearer " + goodToken, false);
        }

        private HostileRequest InvalidValue()
        {
            var route = Pick(postRoutes);
            var body = ValidBody(route);
            var hostile = Pick(new Func<string>[] { () => Pick(SqlLike), () => Pick(Unicode) + " " + Pick(SqlLike), () => new string('x', random.Next(3000, 200_000)), () => Pick(Unicode) });
            // Strings with a space, quote or control character are never a valid name, address, type, provider or domain.
            string Bad() { var s = hostile(); return s.Any(ch => ch is ' ' or '\'' or '"' or ';' || char.IsControl(ch)) || s.Length > 2048 ? s : s + " '"; }
            switch (route)
            {
                case "dns/records/create":
                    switch (random.Next(7))
                    {
                        case 0: body["domainId"] = Pick(new long[] { -1, 0, UnknownId, long.MaxValue, long.MinValue }); break;
                        case 1: body["type"] = Pick(new[] { Bad(), "", "MXX", "ＡＡＡＡ", "A\u0000" }); break;
                        case 2: body["name"] = Bad(); break;
                        case 3: body["value"] = Pick(new[] { Bad(), "999.1.1.1", "1.2.3", "01.2.3.4", "-1", "::1", "" }); break;
                        case 4: body["ttl"] = Pick(new[] { -1, 0, 2, 59, 86401, int.MaxValue, int.MinValue }); break;
                        case 5: body["ownerType"] = Bad(); break;
                        default: body["type"] = "TXT"; body["value"] = "v=spf1 -all"; body["proxied"] = true; break;
                    }
                    break;
                case "dns/records/update":
                    switch (random.Next(3))
                    {
                        case 0: body["id"] = Pick(new long[] { -1, 0, UnknownId, long.MaxValue }); break;
                        case 1: body["value"] = Pick(new[] { Bad(), "256.0.0.1", "" }); break;
                        default: body["ttl"] = Pick(new[] { -5, 0, 30, 86401, int.MaxValue }); break;
                    }
                    break;
                case "dns/records/delete":
                    body["ids"] = Pick(new Func<JsonNode?>[] { () => new JsonArray(), () => null, () => new JsonArray(UnknownId), () => new JsonArray(-1, 0), () => new JsonArray(long.MaxValue) })();
                    break;
                case "dns/records/retry":
                    body["id"] = Pick(new JsonNode?[] { JsonValue.Create(UnknownId), JsonValue.Create(-1), JsonValue.Create(0), null, JsonValue.Create(recordId) });
                    break;
                case "domains/create":
                    if (random.Next(4) == 0) body["status"] = Bad();
                    else body["domain"] = Pick(new[] { Bad(), "", "example.com", "EXAMPLE.COM", "localhost", "-bad-.test", "a..b.test", new string('a', 300) + ".test" });
                    break;
                case "api-keys/create":
                    switch (random.Next(4))
                    {
                        case 0: body["provider"] = Pick(new[] { Bad(), "route53", "", "CLOUDFLARE2" }); break;
                        case 1: body["apiToken"] = Pick(new[] { "", "   ", "tok\u0000en", new string('t', 513), "line\nbreak" }); break;
                        case 2: body["name"] = Pick(new[] { "", "   ", new string('n', 129) }); break;
                        default: body["account"] = Pick(new[] { "not-an-email", "a b@c.d", "@example.com", "ops@", Bad() }); break;
                    }
                    break;
                case "api-keys/delete":
                    body["ids"] = Pick(new Func<JsonNode?>[] { () => new JsonArray(), () => null, () => new JsonArray(keyId), () => new JsonArray(keyId, UnknownId) })();
                    break;
                default:
                    switch (random.Next(4))
                    {
                        case 0: body["domainId"] = Pick(new long[] { -1, 0, UnknownId }); break;
                        case 1: body["provider"] = Bad(); break;
                        case 2: body["apiKeyId"] = Pick(new long[] { -1, 0, UnknownId }); break;
                        default: body["providerZoneId"] = Bad(); break;
                    }
                    break;
            }
            var request = Post("invalid-value", route, body);
            // Deleting unknown ids is not an error: it answers 200 with affected 0 and writes nothing (checked).
            return route == "dns/records/delete" && body["ids"] is JsonArray { Count: > 0 } ids && ids.All(i => i?.ToJsonString() != recordId.ToString(System.Globalization.CultureInfo.InvariantCulture))
                ? request with { MayBeAccepted = true }
                : request;
        }

        private HostileRequest HostileQuery()
        {
            var route = Pick(getRoutes);
            var parameter = route == "dns/records"
                ? Pick(new[] { "domainId", "status", "ownerType", "ownerId", "type", "name", "desiredState", "page", "pageSize" })
                : Pick(new[] { "page", "pageSize" });
            var value = Pick(new Func<string>[]
            {
                () => Pick(SqlLike), () => Pick(Unicode), () => "-1", () => "0", () => "99999999999999999999", () => "1e400", () => "1000000",
                () => new string('q', 3000), () => "%00", () => "abc",
            })();
            var path = $"api/v1/{route}?{parameter}={Uri.EscapeDataString(value)}";
            return new("query", "GET", route, path, null, null, "Bearer " + goodToken, true);
        }

        private HostileRequest HostilePath()
        {
            var segment = Pick(new[]
            {
                "abc", "-1", "0", "99999999999999999999", Uri.EscapeDataString("1' OR '1'='1"), Uri.EscapeDataString("💥"), "1.5", "%00", "a%00b", "..%2F..%2Fetc%2Fpasswd",
                $"{UnknownId}", "1/extra",
            });
            var template = Pick(new[] { "api/v1/dns/records/{0}", "api/v1/domains/{0}", "api/v1/nope/{0}", "api/v2/dns/records/{0}", "api/v1/dns/records/create/{0}" });
            var path = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, segment);
            // Kestrel itself refuses a NUL in the decoded path (400, no body) before any application code runs.
            return new(segment.Contains("%00", StringComparison.Ordinal) ? "protocol" : "path", "GET", template, path, null, null, "Bearer " + goodToken, true);
        }

        private static string Unsigned(object header, object payload) =>
            $"{B64(JsonSerializer.SerializeToUtf8Bytes(header))}.{B64(JsonSerializer.SerializeToUtf8Bytes(payload))}.";

        private static string Tampered(string token)
        {
            var parts = token.Split('.');
            var payload = JsonSerializer.SerializeToUtf8Bytes(new { sub = "admin", exp = DateTimeOffset.UtcNow.AddYears(10).ToUnixTimeSeconds() });
            return $"{parts[0]}.{B64(payload)}.{parts[2]}";
        }

        private static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}

internal static class HttpClientJsonExtensions
{
    public static async Task<JsonNode> GetFromJsonNodeAsync(this HttpClient client, string path) =>
        JsonNode.Parse(await client.GetStringAsync(path))!;
}
