using System.Security.Cryptography;

namespace Kargo.Airgap.Bundle;

/// <summary>
/// The builder's ECDSA P-256 private key (PKCS#8 PEM, optionally encrypted). Signatures are
/// ASN.1 DER over SHA-256, base64-encoded: the form <c>cosign sign-blob</c> writes, so
/// <c>cosign verify-blob --key</c> and <c>openssl dgst -sha256 -verify</c> check them too.
/// </summary>
public sealed class SigningKey : IDisposable
{
    /// <summary>The environment variable holding the passphrase of an encrypted key.</summary>
    public const string PasswordVariable = "KARGO_KEY_PASSWORD";

    private readonly ECDsa _key;

    private SigningKey(ECDsa key)
    {
        _key = key;
    }

    /// <summary>The public key's fingerprint: sha256 of its SubjectPublicKeyInfo.</summary>
    public string Fingerprint => TrustedKeys.FingerprintOf(_key.ExportSubjectPublicKeyInfo());

    /// <summary>Writes PREFIX.key (mode 0600) and PREFIX.pub, refusing to overwrite either.</summary>
    public static (string PrivatePath, string PublicPath, string Fingerprint) Generate(string prefix, string? password)
    {
        var privatePath = prefix + ".key";
        var publicPath = prefix + ".pub";
        foreach (var path in new[] { privatePath, publicPath })
        {
            if (File.Exists(path))
            {
                throw new KargoException($"{path} already exists; keygen never overwrites a key. Choose another --out or move the old key away");
            }
        }
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var privatePem = string.IsNullOrEmpty(password)
            ? key.ExportPkcs8PrivateKeyPem()
            : key.ExportEncryptedPkcs8PrivateKeyPem(password, new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 600_000));
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(privatePath))!);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var writer = new StreamWriter(privatePath, System.Text.Encoding.ASCII, options))
        {
            writer.Write(privatePem + "\n");
        }
        File.WriteAllText(publicPath, key.ExportSubjectPublicKeyInfoPem() + "\n");
        return (privatePath, publicPath, TrustedKeys.FingerprintOf(key.ExportSubjectPublicKeyInfo()));
    }

    public static SigningKey Load(string path, string? password)
    {
        if (!File.Exists(path))
        {
            throw new KargoException($"signing key '{path}' does not exist; create one with 'kargo-bundle keygen --out PREFIX'");
        }
        var pem = File.ReadAllText(path);
        var key = ECDsa.Create();
        try
        {
            if (pem.Contains("ENCRYPTED PRIVATE KEY", StringComparison.Ordinal))
            {
                if (string.IsNullOrEmpty(password))
                {
                    throw new KargoException($"{path} is encrypted: set {PasswordVariable} to its passphrase");
                }
                key.ImportFromEncryptedPem(pem, password);
            }
            else
            {
                key.ImportFromPem(pem);
            }
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            key.Dispose();
            throw new KargoException($"{path} is not a usable ECDSA private key (PKCS#8 PEM){(pem.Contains("ENCRYPTED", StringComparison.Ordinal) ? ", or the passphrase is wrong" : "")}: {e.Message}", e);
        }
        if (key.KeySize != 256)
        {
            key.Dispose();
            throw new KargoException($"{path} is a {key.KeySize}-bit key; bundles are signed with ECDSA P-256");
        }
        return new SigningKey(key);
    }

    /// <summary>The signature entry's content: base64 of the DER signature over the exact inventory bytes.</summary>
    public byte[] Sign(byte[] inventory) =>
        System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(_key.SignData(inventory, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)));

    public void Dispose() => _key.Dispose();
}
