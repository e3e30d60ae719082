using System.Net;
using System.Net.NetworkInformation;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Kargo.Airgap.Registry;

/// <summary>What <see cref="SelfSignedTls.LoadOrCreate"/> did, for the user.</summary>
/// <param name="Certificate">The server certificate with its key, for Kestrel.</param>
/// <param name="CaFile">The CA nodes trust (PEM).</param>
/// <param name="CertDir">A folder holding only the CA as ca.crt, as skopeo, podman and containerd's certs.d expect.</param>
/// <param name="Names">The names and addresses the certificate covers.</param>
/// <param name="Issued">Why a certificate was issued in this run; null when the kept one covers every name.</param>
public sealed record SelfSignedCertificate(X509Certificate2 Certificate, string CaFile, string CertDir, IReadOnlyList<string> Names, string? Issued);

/// <summary>
/// <c>serve --tls-self-signed</c>: a local CA (its key kept, mode 0600, to issue again) and a server
/// certificate it signs for every name the registry is reached by: the listening address — or, for
/// 0.0.0.0 and ::, every address of this machine's interfaces — loopback, localhost, the host name,
/// and any <c>--tls-san</c>. When those names change, the server certificate is issued again under
/// the same CA, so nodes that trust it keep trusting.
/// </summary>
public static class SelfSignedTls
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static SelfSignedCertificate LoadOrCreate(string folder, IPAddress address, IEnumerable<string>? extraNames = null)
    {
        Directory.CreateDirectory(folder);
        var caFile = Path.Combine(folder, "ca.pem");
        var caKeyFile = Path.Combine(folder, "ca.key");
        var certFile = Path.Combine(folder, "server.pem");
        var keyFile = Path.Combine(folder, "server.key");
        var certDir = Path.Combine(folder, "certs");
        var names = NamesFor(address, extraNames ?? []);

        string? issued = null;
        if (!File.Exists(caFile) || !File.Exists(caKeyFile))
        {
            using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var caRequest = new CertificateRequest("CN=kargo local registry CA", caKey, HashAlgorithmName.SHA256);
            caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
            using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(10));
            AtomicFile.WriteAllBytes(caKeyFile, System.Text.Encoding.ASCII.GetBytes(caKey.ExportPkcs8PrivateKeyPem() + "\n"), Private);
            AtomicFile.WriteAllBytes(caFile, System.Text.Encoding.ASCII.GetBytes(ca.ExportCertificatePem() + "\n"));
            issued = "a new CA";
        }
        var missing = File.Exists(certFile) && File.Exists(keyFile) ? names.Except(CoveredNames(certFile)).ToList() : null;
        if (issued is not null || missing is null || missing.Count > 0)
        {
            using var ca = X509Certificate2.CreateFromPemFile(caFile, caKeyFile);
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=kargo local registry", key, HashAlgorithmName.SHA256);
            var alternatives = new SubjectAlternativeNameBuilder();
            foreach (var name in names)
            {
                if (IPAddress.TryParse(name, out var ip))
                {
                    alternatives.AddIpAddress(ip);
                }
                else
                {
                    alternatives.AddDnsName(name);
                }
            }
            request.CertificateExtensions.Add(alternatives.Build());
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
            using var server = request.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(2), RandomNumberGenerator.GetBytes(12));
            AtomicFile.WriteAllBytes(keyFile, System.Text.Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem() + "\n"), Private);
            AtomicFile.WriteAllBytes(certFile, System.Text.Encoding.ASCII.GetBytes(server.ExportCertificatePem() + "\n"));
            issued ??= missing is null ? "a new server certificate" : $"a new server certificate, the kept one not naming {string.Join(", ", missing)}";
        }
        // skopeo's --cert-dir and containers' certs.d take every *.crt of a folder as a CA, and a *.key as a client key: the CA goes alone.
        Directory.CreateDirectory(certDir);
        AtomicFile.WriteAllBytes(Path.Combine(certDir, "ca.crt"), File.ReadAllBytes(caFile));
        return new SelfSignedCertificate(LoadPem(certFile, keyFile), caFile, certDir, names, issued);
    }

    /// <summary>The address itself, or every interface address for a wildcard; loopback, localhost, the host name, and the extra names.</summary>
    public static IReadOnlyList<string> NamesFor(IPAddress address, IEnumerable<string> extraNames)
    {
        var addresses = address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)
            ? NetworkInterface.GetAllNetworkInterfaces().Where(i => i.OperationalStatus != OperationalStatus.Down)
                .SelectMany(i => i.GetIPProperties().UnicastAddresses).Select(u => u.Address)
                .Where(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork || a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && !a.IsIPv6LinkLocal)
            : [address];
        var names = addresses.Append(IPAddress.Loopback).Select(a => a.ToString()).Append("localhost").Append(Dns.GetHostName()).Concat(extraNames);
        return [.. names.Where(n => IPAddress.TryParse(n, out _) || IsDnsName(n)).Distinct(StringComparer.OrdinalIgnoreCase)];
    }

    /// <summary>A host name a certificate can carry (letters, digits, '-' and '.').</summary>
    public static bool IsDnsName(string name) =>
        name.Length is > 0 and <= 253 && name.Split('.').All(l => l.Length is > 0 and <= 63 && l.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') && l[0] != '-' && l[^1] != '-');

    private static IReadOnlyList<string> CoveredNames(string certFile)
    {
        try
        {
            using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(certFile));
            var extension = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
            return extension is null ? [] : [.. extension.EnumerateDnsNames(), .. extension.EnumerateIPAddresses().Select(a => a.ToString())];
        }
        catch (CryptographicException)
        {
            return [];
        }
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
