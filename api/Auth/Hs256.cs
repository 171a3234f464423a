using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DnsSync.Api.Auth;

/// <summary>
/// HS256 signing and signature checks done here rather than by Microsoft.IdentityModel, which refuses HMAC keys
/// shorter than 256 bits: the CMDB's Go code signs with <c>[]byte(JWT_SECRET)</c> of any length, and its tokens
/// must validate. Everything else (expiry, issuer, audience) is still checked by the JwtBearer handler.
/// </summary>
internal static class Hs256
{
    /// <summary>A compact JWT with the given payload claims.</summary>
    public static string Sign(byte[] key, IReadOnlyDictionary<string, object> claims)
    {
        var header = Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["alg"] = "HS256", ["typ"] = "JWT" }));
        var payload = Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(claims));
        var signature = Base64UrlEncoder.Encode(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes($"{header}.{payload}")));
        return $"{header}.{payload}.{signature}";
    }

    /// <summary>A <see cref="SignatureValidator"/>: only <c>alg: HS256</c> with an HMAC matching one of <paramref name="keys"/> passes (so <c>alg: none</c> never does).</summary>
    public static SecurityToken Validate(string token, IReadOnlyList<byte[]> keys)
    {
        var jwt = new JsonWebToken(token);
        if (jwt.Alg != SecurityAlgorithms.HmacSha256)
            throw new SecurityTokenInvalidAlgorithmException($"token algorithm '{jwt.Alg}' is not accepted; HS256 is required") { InvalidAlgorithm = jwt.Alg };
        var lastDot = token.LastIndexOf('.');
        byte[] presented;
        try
        {
            presented = Base64UrlEncoder.DecodeBytes(token[(lastDot + 1)..]);
        }
        catch (FormatException)
        {
            throw new SecurityTokenInvalidSignatureException("token signature is not base64url");
        }
        var signed = Encoding.ASCII.GetBytes(token[..lastDot]);
        foreach (var key in keys)
            if (CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(key, signed), presented)) return jwt;
        throw new SecurityTokenInvalidSignatureException("token signature does not match");
    }
}
