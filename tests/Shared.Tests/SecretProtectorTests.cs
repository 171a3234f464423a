using System.Security.Cryptography;
using DnsSync.Shared.Secrets;

namespace DnsSync.Shared.Tests;

public sealed class SecretProtectorTests
{
    private static readonly string Key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    [Test]
    public void Protected_tokens_round_trip_and_never_contain_the_plaintext()
    {
        var protector = SecretProtector.FromBase64(Key);
        var stored = protector.Protect("cf-token-1234567890");
        Assert.That(stored, Does.StartWith("v1:").And.Not.Contain("cf-token"));
        Assert.That(protector.Unprotect(stored), Is.EqualTo("cf-token-1234567890"));
        var again = protector.Protect("cf-token-1234567890");
        Assert.That(again, Is.Not.EqualTo(stored), "a fresh nonce each time");
    }

    [Test]
    public void Bound_tokens_decrypt_only_for_their_row()
    {
        var protector = SecretProtector.FromBase64(Key);
        var stored = protector.Protect("cf-token-bound", boundTo: 42);
        Assert.That(stored, Does.StartWith("v2:").And.Not.Contain("cf-token"));
        Assert.That(protector.Unprotect(stored, 42, out var needsReprotect), Is.EqualTo("cf-token-bound"));
        Assert.That(needsReprotect, Is.False);
        Assert.That(() => protector.Unprotect(stored, 43), Throws.InstanceOf<CryptographicException>(), "moved to another row");
        Assert.That(() => protector.Unprotect(stored), Throws.InstanceOf<CryptographicException>(), "read as unbound");
        // The same bytes relabelled v1 do not decrypt either: the associated data differs.
        Assert.That(() => protector.Unprotect("v1:" + stored[3..], 42), Throws.InstanceOf<CryptographicException>());
    }

    [Test]
    public void The_unbound_form_and_plaintext_still_read_for_any_row_and_ask_to_be_rewritten()
    {
        var protector = SecretProtector.FromBase64(Key);
        Assert.That(protector.Unprotect(protector.Protect("old-form"), 7, out var oldNeeds), Is.EqualTo("old-form"));
        Assert.That(oldNeeds, Is.True);
        Assert.That(protector.Unprotect("hand-written", 7, out var plainNeeds), Is.EqualTo("hand-written"));
        Assert.That(plainNeeds, Is.True);
        var previous = SecretProtector.FromBase64(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        var rotated = SecretProtector.FromBase64(Key, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        Assert.That(rotated.Unprotect(protector.Protect("bound", 9), 9, out var currentNeeds), Is.EqualTo("bound"));
        Assert.That(currentNeeds, Is.False);
        Assert.That(() => rotated.Unprotect(previous.Protect("x", 9), 9), Throws.InstanceOf<CryptographicException>());
    }

    [Test]
    public void Plaintext_written_by_hand_still_works()
    {
        var protector = SecretProtector.FromBase64(Key);
        Assert.That(SecretProtector.IsProtected("token"), Is.False);
        Assert.That(protector.Unprotect("token"), Is.EqualTo("token"));
    }

    [Test]
    public void Another_key_or_a_tampered_value_cannot_decrypt()
    {
        var stored = SecretProtector.FromBase64(Key).Protect("secret");
        var other = SecretProtector.FromBase64(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        Assert.That(() => other.Unprotect(stored), Throws.InstanceOf<CryptographicException>());
        var bytes = Convert.FromBase64String(stored[3..]);
        bytes[^1] ^= 1;
        Assert.That(() => SecretProtector.FromBase64(Key).Unprotect("v1:" + Convert.ToBase64String(bytes)), Throws.InstanceOf<CryptographicException>());
    }

    [Test]
    public void Previous_keys_still_decrypt_during_a_rotation_and_flag_the_value_for_reencryption()
    {
        var oldKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var stored = SecretProtector.FromBase64(oldKey).Protect("rotated-token");
        var rotating = SecretProtector.FromBase64(Key, $"{Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))}, {oldKey}");

        Assert.That(rotating.Unprotect(stored, out var needsReprotect), Is.EqualTo("rotated-token"));
        Assert.That(needsReprotect, Is.True);
        Assert.That(rotating.Unprotect(rotating.Protect("fresh"), out needsReprotect), Is.EqualTo("fresh"));
        Assert.That(needsReprotect, Is.False);
        Assert.That(() => SecretProtector.FromBase64(Key).Unprotect(stored), Throws.InstanceOf<CryptographicException>(), "without the old key it cannot");
    }

    [Test]
    public void A_wrong_previous_key_names_its_setting()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => SecretProtector.FromBase64(Key, "AAAA"));
        Assert.That(ex!.Message, Does.Contain("Secrets__PreviousKeys"));
    }

    [TestCase(null, "not set")]
    [TestCase("not base64!", "not valid base64")]
    [TestCase("AAAA", "decodes to 3 bytes")]
    public void A_wrong_key_names_the_setting(string? key, string reason)
    {
        var ex = Assert.Throws<InvalidOperationException>(() => SecretProtector.FromBase64(key));
        Assert.That(ex!.Message, Does.Contain("Secrets__Key").And.Contain(reason));
    }

    [TestCase("abcdefgh1234", "****1234")]
    [TestCase("abc", "****")]
    public void Masks_show_only_the_last_four_characters(string token, string mask) =>
        Assert.That(SecretProtector.Mask(token), Is.EqualTo(mask));
}
