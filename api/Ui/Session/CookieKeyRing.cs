using System.Xml.Linq;
using DnsSync.Shared.Secrets;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.Extensions.Options;

namespace DnsSync.Api.Ui.Session;

/// <summary>
/// ASP.NET Core data protection (which seals the session and antiforgery cookies) keeps its key ring in the database,
/// each key encrypted with <c>Secrets:Key</c>: every api process reads the same keys, so a cookie one instance issued
/// is good at all of them and after a restart, and a copy of the table alone opens no cookie.
/// </summary>
internal static class CookieKeyRing
{
    public static IServiceCollection AddCookieKeyRing(this IServiceCollection services)
    {
        services.AddDataProtection().SetApplicationName("dns-sync-api");
        services.AddOptions<KeyManagementOptions>().Configure<MySqlDataSource, SecretProtector>((options, dataSource, protector) =>
        {
            options.XmlRepository = new DatabaseXmlRepository(dataSource);
            options.XmlEncryptor = new SecretXmlEncryptor(protector);
        });
        return services;
    }
}

/// <summary>The key ring's rows in <c>ui_data_protection_keys</c>; data protection calls it synchronously and rarely (it caches the ring).</summary>
internal sealed class DatabaseXmlRepository(MySqlDataSource dataSource) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        const string sql = "SELECT xml FROM ui_data_protection_keys ORDER BY id";
        using var connection = dataSource.OpenConnection();
        return connection.Query<string>(sql).Select(xml => XElement.Parse(xml)).ToList();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        // Two processes starting at once may both create a key; both are kept (the names are unique per key).
        const string sql = "INSERT INTO ui_data_protection_keys (name, xml, created_at) VALUES (@Name, @Xml, UTC_TIMESTAMP(6))";
        using var connection = dataSource.OpenConnection();
        connection.Execute(sql, new { Name = friendlyName, Xml = element.ToString(SaveOptions.DisableFormatting) });
    }
}

internal sealed class SecretXmlEncryptor(SecretProtector protector) : IXmlEncryptor
{
    public EncryptedXmlInfo Encrypt(XElement plaintextElement) => new(
        new XElement("encryptedKey", new XElement("value", protector.Protect(plaintextElement.ToString(SaveOptions.DisableFormatting)))),
        typeof(SecretXmlDecryptor));
}

/// <summary>Created by data protection from the type named in each stored key, with the app's services.</summary>
internal sealed class SecretXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement) =>
        XElement.Parse(services.GetRequiredService<SecretProtector>().Unprotect(encryptedElement.Element("value")!.Value));
}
