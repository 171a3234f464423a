using System.Security.Cryptography;
using System.Text;

namespace DnsSync.Shared.Secrets;

/// <summary>
/// Encrypts provider API tokens at rest with AES-256-GCM. Stored form: <c>v2:</c> + base64(nonce | ciphertext | tag),
/// bound to its api_keys row: the row's id is part of the associated data, so a token copied into another row (or
/// swapped between rows with SQL) does not decrypt there. <c>v1:</c> is the earlier, unbound form: still read, and
/// rewritten bound by <c>reencrypt-tokens</c>. A value without a tag is a plaintext token written by hand with SQL (the
/// seed's way); it is still usable, and callers log a warning so operators re-save it through the API.
/// </summary>
public sealed class SecretProtector
{
    /// <summary>Version tag of the unbound format (read, no longer written by the api).</summary>
    public const string Prefix = "v1:";

    /// <summary>Version tag of the bound format.</summary>
    public const string BoundPrefix = "v2:";
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private static readonly byte[] Context = "dns-sync/api_keys.api_token"u8.ToArray();
    private readonly byte[] _key;
    private readonly IReadOnlyList<byte[]> _previousKeys;

    /// <summary>Creates a protector from a 32-byte key; <paramref name="previousKeys"/> only decrypt (key rotation).</summary>
    public SecretProtector(byte[] key, IReadOnlyList<byte[]>? previousKeys = null)
    {
        if (key.Length != 32) throw new ArgumentException("Secrets__Key must be 32 bytes (base64 of 32 random bytes).", nameof(key));
        _key = key;
        _previousKeys = previousKeys ?? [];
    }

    /// <summary>Parses the base64 key from configuration, with a message naming the setting when it is wrong.</summary>
    /// <param name="base64Key">The current key (Secrets__Key): encrypts, and decrypts first.</param>
    /// <param name="previousBase64Keys">Comma-separated former keys (Secrets__PreviousKeys), tried when the current one fails.</param>
    public static SecretProtector FromBase64(string? base64Key, string? previousBase64Keys = null)
    {
        if (string.IsNullOrWhiteSpace(base64Key))
            throw new InvalidOperationException("Secrets__Key is not set: give it 32 random bytes in base64 (openssl rand -base64 32).");
        var previous = (previousBase64Keys ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(k => ParseKey(k, "Secrets__PreviousKeys"))
            .ToList();
        return new SecretProtector(ParseKey(base64Key, "Secrets__Key"), previous);
    }

    private static byte[] ParseKey(string base64Key, string setting)
    {
        byte[] key;
        try
        {
            key = Convert.FromBase64String(base64Key.Trim());
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"{setting} is not valid base64: give it 32 random bytes in base64 (openssl rand -base64 32).");
        }
        if (key.Length != 32)
            throw new InvalidOperationException($"{setting} decodes to {key.Length} bytes; it must be 32 (openssl rand -base64 32).");
        return key;
    }

    /// <summary>True when a stored value is in an encrypted format (bound or not).</summary>
    public static bool IsProtected(string stored) =>
        stored.StartsWith(Prefix, StringComparison.Ordinal) || stored.StartsWith(BoundPrefix, StringComparison.Ordinal);

    /// <summary>Encrypts a plaintext token in the earlier, unbound form (for tests and tools that write rows by hand).</summary>
    public string Protect(string plaintext) => Prefix + Encrypt(plaintext, Context);

    /// <summary>Encrypts a plaintext token for storage in the api_keys row <paramref name="boundTo"/>.</summary>
    public string Protect(string plaintext, long boundTo) => BoundPrefix + Encrypt(plaintext, BoundContext(boundTo));

    /// <summary>Decrypts an unbound stored value; a value without a version tag is returned as the plaintext it is.</summary>
    /// <exception cref="CryptographicException">The value was encrypted with another key, was altered, or is bound to a row (use the overload with its id).</exception>
    public string Unprotect(string stored) => Unprotect(stored, out _);

    /// <summary>Decrypts an unbound stored value and tells whether it should be re-encrypted (plaintext, or under a previous key).</summary>
    /// <exception cref="CryptographicException">No configured key decrypts the value, it was altered, or it is bound to a row.</exception>
    public string Unprotect(string stored, out bool needsReprotect)
    {
        if (stored.StartsWith(BoundPrefix, StringComparison.Ordinal))
            throw new CryptographicException("Stored secret is bound to its api_keys row: decrypt it with the row's id.");
        var plaintext = Decrypt(stored, 0, out var keyIndex);
        needsReprotect = keyIndex != 0;
        return plaintext;
    }

    /// <summary>Decrypts the token stored in the api_keys row <paramref name="boundTo"/>, bound (v2) or in an earlier form (v1, plaintext).</summary>
    /// <exception cref="CryptographicException">No configured key decrypts the value, it was altered, or it belongs to another row.</exception>
    public string Unprotect(string stored, long boundTo) => Unprotect(stored, boundTo, out _);

    /// <summary>
    /// As <see cref="Unprotect(string, long)"/>, and tells whether the value should be rewritten: anything but the bound
    /// form under the current key.
    /// </summary>
    public string Unprotect(string stored, long boundTo, out bool needsReprotect)
    {
        var plaintext = Decrypt(stored, boundTo, out var keyIndex);
        needsReprotect = keyIndex != 0 || !stored.StartsWith(BoundPrefix, StringComparison.Ordinal);
        return plaintext;
    }

    // keyIndex: 0 when the current key decrypted it, above 0 for a previous key, -1 for plaintext.
    private string Decrypt(string stored, long boundTo, out int keyIndex)
    {
        keyIndex = -1;
        if (!IsProtected(stored)) return stored;
        var bound = stored.StartsWith(BoundPrefix, StringComparison.Ordinal);
        var context = bound ? BoundContext(boundTo) : Context;
        byte[] input;
        try
        {
            input = Convert.FromBase64String(stored[Prefix.Length..]);
        }
        catch (FormatException ex)
        {
            throw new CryptographicException("Stored secret is not valid base64.", ex);
        }
        if (input.Length < NonceSize + TagSize) throw new CryptographicException("Stored secret is truncated.");
        var length = input.Length - NonceSize - TagSize;
        var plain = new byte[length];
        foreach (var (key, index) in _previousKeys.Prepend(_key).Select((k, i) => (k, i)))
        {
            try
            {
                using var aes = new AesGcm(key, TagSize);
                aes.Decrypt(input.AsSpan(0, NonceSize), input.AsSpan(NonceSize, length), input.AsSpan(NonceSize + length), plain, context);
                keyIndex = index;
                return Encoding.UTF8.GetString(plain);
            }
            catch (AuthenticationTagMismatchException) when (index < _previousKeys.Count)
            {
                // Not this key: try the next former one.
            }
        }
        throw new CryptographicException("Stored secret could not be decrypted.");
    }

    private string Encrypt(string plaintext, ReadOnlySpan<byte> associatedData)
    {
        var data = Encoding.UTF8.GetBytes(plaintext);
        var output = new byte[NonceSize + data.Length + TagSize];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, data, output.AsSpan(NonceSize, data.Length), output.AsSpan(NonceSize + data.Length), associatedData);
        return Convert.ToBase64String(output);
    }

    /// <summary>The associated data of a bound token: the context and the row id.</summary>
    private static byte[] BoundContext(long apiKeyId) => [.. Context, .. "#"u8, .. Encoding.ASCII.GetBytes(apiKeyId.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    /// <summary>The mask the API shows instead of a token: <c>****</c> and its last four characters.</summary>
    public static string Mask(string plaintext) => "****" + (plaintext.Length > 4 ? plaintext[^4..] : "");
}
