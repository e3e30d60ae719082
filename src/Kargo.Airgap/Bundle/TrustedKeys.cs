using System.Security.Cryptography;

namespace Kargo.Airgap.Bundle;

/// <summary>The public keys an offline node trusts to have signed a bundle.</summary>
public sealed class TrustedKeys : IDisposable
{
    private readonly List<(ECDsa Key, string Fingerprint, string Path)> _keys = [];

    public int Count => _keys.Count;

    public bool Trusts(string fingerprint) => _keys.Any(k => k.Fingerprint == fingerprint);

    public static string FingerprintOf(byte[] subjectPublicKeyInfo) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(subjectPublicKeyInfo));

    public static TrustedKeys Load(IEnumerable<string> paths)
    {
        var trusted = new TrustedKeys();
        foreach (var path in paths)
        {
            if (!File.Exists(path))
            {
                trusted.Dispose();
                throw new KargoException($"public key '{path}' does not exist");
            }
            var key = ECDsa.Create();
            try
            {
                key.ImportFromPem(File.ReadAllText(path));
            }
            catch (Exception e) when (e is CryptographicException or ArgumentException)
            {
                key.Dispose();
                trusted.Dispose();
                throw new KargoException($"{path} is not an ECDSA public key in PEM (SubjectPublicKeyInfo): {e.Message}", e);
            }
            trusted._keys.Add((key, FingerprintOf(key.ExportSubjectPublicKeyInfo()), path));
        }
        return trusted;
    }

    /// <summary>The fingerprint of the trusted key that made this signature, or null if none did.</summary>
    public string? Verify(byte[] inventory, byte[] signatureEntry)
    {
        byte[] der;
        try
        {
            der = Convert.FromBase64String(System.Text.Encoding.ASCII.GetString(signatureEntry).Trim());
        }
        catch (FormatException)
        {
            return null;
        }
        foreach (var (key, fingerprint, _) in _keys)
        {
            if (key.VerifyData(inventory, der, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))
            {
                return fingerprint;
            }
        }
        return null;
    }

    public void Dispose()
    {
        foreach (var (key, _, _) in _keys)
        {
            key.Dispose();
        }
        _keys.Clear();
    }
}
