using System.Text;

namespace Kargo.Airgap.Registry;

/// <summary>
/// What a node's container runtime needs to pull every bundled image through the local registry
/// under its upstream name, so no manifest is rewritten and digests stay true: k3s's
/// <c>registries.yaml</c> and containerd's <c>certs.d/HOST/hosts.toml</c> (the format k3s, microk8s
/// and plain containerd all read).
/// </summary>
public static class MirrorConfig
{
    public const string K3sRegistries = "etc/rancher/k3s/registries.yaml";
    public const string ContainerdCertsDir = "etc/containerd/certs.d";

    /// <summary>Where the endpoint's CA is copied under the root, and named from both files: a path of this machine means nothing on a node.</summary>
    public const string NodeCaFile = "/etc/kargo/registry-ca.crt";

    /// <summary>Writes both files under <paramref name="root"/> (/ on a node); returns what it wrote.</summary>
    /// <param name="registries">The upstream hosts to mirror (docker.io, quay.io, …).</param>
    /// <param name="endpoint">The local registry, such as http://127.0.0.1:5000.</param>
    /// <param name="root">The file system root to write under.</param>
    /// <param name="caFile">The CA the endpoint's certificate chains to, for an https endpoint: copied to <see cref="NodeCaFile"/> under the root.</param>
    /// <param name="credential">Credentials for the endpoint (k3s only: the file is then readable by root alone).</param>
    /// <param name="skipVerify">Do not check the endpoint's certificate.</param>
    public static IReadOnlyList<string> Write(IEnumerable<string> registries, Uri endpoint, string root, string? caFile, Credential? credential = null, bool skipVerify = false)
    {
        var written = new List<string>();
        if (caFile is not null)
        {
            if (!File.Exists(caFile))
            {
                throw new KargoException($"--ca {Terminal.Printable(caFile)} does not exist: give the CA file the endpoint's certificate chains to (serve --tls-self-signed keeps it as DIR/tls/ca.pem)");
            }
            var copy = Path.Combine(root, NodeCaFile.TrimStart('/'));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            AtomicFile.WriteAllBytes(copy, File.ReadAllBytes(caFile));
            written.Add(copy);
            caFile = NodeCaFile;
        }
        if (endpoint.Scheme is not ("http" or "https") || endpoint.AbsolutePath != "/")
        {
            throw new KargoException($"--endpoint '{endpoint}' must be http(s)://HOST:PORT with no path");
        }
        var hosts = registries.Distinct().Order(StringComparer.Ordinal).ToList();
        var k3s = Path.Combine(root, K3sRegistries);
        Directory.CreateDirectory(Path.GetDirectoryName(k3s)!);
        AtomicFile.WriteAllBytes(k3s, Encoding.UTF8.GetBytes(RegistriesYaml(hosts, endpoint, caFile, credential, skipVerify)),
            credential is null ? AtomicFile.Readable : UnixFileMode.UserRead | UnixFileMode.UserWrite);
        written.Add(k3s);
        foreach (var host in hosts)
        {
            var file = Path.Combine(root, ContainerdCertsDir, host, "hosts.toml");
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            AtomicFile.WriteAllBytes(file, Encoding.UTF8.GetBytes(HostsToml(host, endpoint, caFile, skipVerify)));
            written.Add(file);
        }
        return written;
    }

    public static string RegistriesYaml(IEnumerable<string> hosts, Uri endpoint, string? caFile, Credential? credential = null, bool skipVerify = false)
    {
        var local = Exact(endpoint);
        var document = new Dictionary<string, object>
        {
            ["mirrors"] = hosts.ToDictionary(h => h, _ => (object)new Dictionary<string, object> { ["endpoint"] = new[] { local } }, StringComparer.Ordinal),
        };
        var tls = endpoint.Scheme == "https" && (caFile is not null || skipVerify);
        if (credential is not null || tls)
        {
            var config = new Dictionary<string, object>();
            if (credential is not null)
            {
                config["auth"] = new Dictionary<string, object> { ["username"] = Checked(credential.Username, "the username"), ["password"] = Checked(credential.Secret, "the password") };
            }
            if (tls)
            {
                var settings = new Dictionary<string, object>();
                if (caFile is not null)
                {
                    settings["ca_file"] = Checked(caFile, "the CA file's path");
                }
                if (skipVerify)
                {
                    settings["insecure_skip_verify"] = true;
                }
                config["tls"] = settings;
            }
            document["configs"] = new Dictionary<string, object> { [new Uri(local).Authority] = config };
        }
        return "# Written by kargo-offline: every registry of the bundle is served by the local registry.\n" + Spec.YamlText.Write(document);
    }

    public static string HostsToml(string host, Uri endpoint, string? caFile, bool skipVerify = false)
    {
        var mirror = new Tomlyn.Model.TomlTable { ["capabilities"] = new Tomlyn.Model.TomlArray { "pull", "resolve" } };
        if (endpoint.Scheme == "https" && caFile is not null)
        {
            mirror["ca"] = Checked(caFile, "the CA file's path");
        }
        if (endpoint.Scheme == "https" && skipVerify)
        {
            mirror["skip_verify"] = true;
        }
        var document = new Tomlyn.Model.TomlTable
        {
            ["server"] = $"https://{Oci.ImageReference.ApiHostOf(host)}",
            ["host"] = new Tomlyn.Model.TomlTable { [Exact(endpoint)] = mirror },
        };
        return $"# Written by kargo-offline: {host} is served by the local registry.\n" + Tomlyn.TomlSerializer.Serialize(document);
    }

    /// <summary>
    /// scheme://host:port of the endpoint as given, refused where the files cannot hold it as it is:
    /// credentials in the URL (give them with --creds: they would land in both files, world-readable)
    /// and an IPv6 zone (fe80::1%eth0), which Uri drops.
    /// </summary>
    public static string Exact(Uri endpoint)
    {
        if (endpoint.UserInfo.Length > 0)
        {
            throw new KargoException("the endpoint holds credentials (USER:PASSWORD@): give them with --creds, which keeps them in registries.yaml at mode 0600 and out of hosts.toml");
        }
        if (endpoint.OriginalString.Contains('%', StringComparison.Ordinal) && endpoint.HostNameType == UriHostNameType.IPv6)
        {
            throw new KargoException($"the endpoint '{Terminal.Printable(endpoint.OriginalString)}' names an IPv6 address with a zone (%IFACE), which registries.yaml and hosts.toml cannot carry: use the node's global or loopback address");
        }
        return endpoint.GetLeftPart(UriPartial.Authority);
    }

    /// <summary>A value written as it is, or refused: control characters in a password or path are a mistake (a pasted newline), never intended.</summary>
    private static string Checked(string value, string what) =>
        value.Any(char.IsControl) ? throw new KargoException($"{what} holds a control character (a newline or tab?): it cannot be written as it is; remove it") : value;
}
