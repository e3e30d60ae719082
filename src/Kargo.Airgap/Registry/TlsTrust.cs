using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Kargo.Airgap.Registry;

/// <summary>Certificate checks: the system's trust, plus the CAs a user named.</summary>
internal sealed class TlsTrust
{
    private readonly X509Certificate2Collection _extraRoots = [];

    public TlsTrust(IEnumerable<string> caFiles)
    {
        foreach (var file in caFiles)
        {
            if (!File.Exists(file))
            {
                throw new KargoException($"CA file '{file}' does not exist");
            }
            try
            {
                _extraRoots.ImportFromPemFile(file);
            }
            catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException)
            {
                throw new KargoException($"CA file '{file}' holds no PEM certificate: {e.Message}", e);
            }
        }
    }

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }
        if (errors != SslPolicyErrors.RemoteCertificateChainErrors || certificate is null || _extraRoots.Count == 0)
        {
            return false;
        }
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_extraRoots);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }
        using var leaf = new X509Certificate2(certificate);
        return custom.Build(leaf);
    }
}
