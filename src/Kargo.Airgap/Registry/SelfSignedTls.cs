using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Kargo.Airgap.Registry;

/// <summary>
/// <c>serve --tls-self-signed</c>: a local CA and a server certificate it signs for the listening
/// address, kept in a folder so restarts reuse them; nodes trust the CA file.
/// </summary>
public static class SelfSignedTls
{
    public static (X509Certificate2 Certificate, string CaFile) LoadOrCreate(string folder, IPAddress address)
    {
        Directory.CreateDirectory(folder);
        var caFile = Path.Combine(folder, "ca.pem");
        var certFile = Path.Combine(folder, "server.pem");
        var keyFile = Path.Combine(folder, "server.key");
        if (!File.Exists(certFile) || !File.Exists(keyFile) || !File.Exists(caFile))
        {
            using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var caRequest = new CertificateRequest("CN=kargo local registry CA", caKey, HashAlgorithmName.SHA256);
            caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
            using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(10));

            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=kargo local registry", key, HashAlgorithmName.SHA256);
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(address.Equals(IPAddress.Any) ? IPAddress.Loopback : address);
            names.AddIpAddress(IPAddress.Loopback);
            names.AddDnsName("localhost");
            request.CertificateExtensions.Add(names.Build());
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
            using var server = request.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(2), RandomNumberGenerator.GetBytes(12));
            AtomicFile.WriteAllBytes(caFile, System.Text.Encoding.ASCII.GetBytes(ca.ExportCertificatePem() + "\n"));
            AtomicFile.WriteAllBytes(certFile, System.Text.Encoding.ASCII.GetBytes(server.ExportCertificatePem() + "\n"));
            AtomicFile.WriteAllBytes(keyFile, System.Text.Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem() + "\n"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return (LoadPem(certFile, keyFile), caFile);
    }

    /// <summary>A certificate and its private key from PEM files, usable by Kestrel.</summary>
    public static X509Certificate2 LoadPem(string certFile, string keyFile)
    {
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(certFile, keyFile);
            // Kestrel on Linux wants the key in an exportable, loadable form.
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        catch (Exception e) when (e is CryptographicException or FileNotFoundException)
        {
            throw new KargoException($"cannot load the TLS certificate {certFile} with key {keyFile}: {e.Message}", e);
        }
    }
}
