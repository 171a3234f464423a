using System.Security.Cryptography;
using System.Text;

namespace DnsSync.Shared.Secrets;

/// <summary>
/// Encrypts provider API tokens at rest with AES-256-GCM. Stored form: <c>v1:</c> + base64(nonce | ciphertext | tag).
/// A value without the tag is a plaintext token written by hand with SQL (the seed's way); it is
/// still usable, and callers log a warning so operators re-save it through the API.
/// </summary>
public sealed class SecretProtector
{
    /// <summary>Version tag of the current format.</summary>
    public const string Prefix = "v1:";
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private static readonly byte[] Context = "dns-sync/api_keys.api_token"u8.ToArray();
    private readonly byte[] _key;

    /// <summary>Creates a protector from a 32-byte key.</summary>
    public SecretProtector(byte[] key)
    {
        if (key.Length != 32) throw new ArgumentException("Secrets__Key must be 32 bytes (base64 of 32 random bytes).", nameof(key));
        _key = key;
    }

    /// <summary>Parses the base64 key from configuration, with a message naming the setting when it is wrong.</summary>
    public static SecretProtector FromBase64(string? base64Key)
    {
        if (string.IsNullOrWhiteSpace(base64Key))
            throw new InvalidOperationException("Secrets__Key is not set: give it 32 random bytes in base64 (openssl rand -base64 32).");
        byte[] key;
        try
        {
            key = Convert.FromBase64String(base64Key.Trim());
        }
        catch (FormatException)
        {
            throw new InvalidOperationException("Secrets__Key is not valid base64: give it 32 random bytes in base64 (openssl rand -base64 32).");
        }
        if (key.Length != 32)
            throw new InvalidOperationException($"Secrets__Key decodes to {key.Length} bytes; it must be 32 (openssl rand -base64 32).");
        return new SecretProtector(key);
    }

    /// <summary>True when a stored value is in the encrypted format.</summary>
    public static bool IsProtected(string stored) => stored.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>Encrypts a plaintext token for storage.</summary>
    public string Protect(string plaintext)
    {
        var data = Encoding.UTF8.GetBytes(plaintext);
        var output = new byte[NonceSize + data.Length + TagSize];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, data, output.AsSpan(NonceSize, data.Length), output.AsSpan(NonceSize + data.Length), Context);
        return Prefix + Convert.ToBase64String(output);
    }

    /// <summary>Decrypts a stored value; a value without the version tag is returned as the plaintext it is.</summary>
    /// <exception cref="CryptographicException">The value was encrypted with another key or was altered.</exception>
    public string Unprotect(string stored)
    {
        if (!IsProtected(stored)) return stored;
        var input = Convert.FromBase64String(stored[Prefix.Length..]);
        if (input.Length < NonceSize + TagSize) throw new CryptographicException("Stored secret is truncated.");
        var length = input.Length - NonceSize - TagSize;
        var plain = new byte[length];
        using var aes = new AesGcm(_key, TagSize);
        aes.Decrypt(input.AsSpan(0, NonceSize), input.AsSpan(NonceSize, length), input.AsSpan(NonceSize + length), plain, Context);
        return Encoding.UTF8.GetString(plain);
    }

    /// <summary>The mask the API shows instead of a token: <c>****</c> and its last four characters.</summary>
    public static string Mask(string plaintext) => "****" + (plaintext.Length > 4 ? plaintext[^4..] : "");
}
