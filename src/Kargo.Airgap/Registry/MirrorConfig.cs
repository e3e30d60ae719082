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

    /// <summary>
    /// Writes the mirror configuration of <paramref name="runtime"/> under <paramref name="root"/>
    /// (/ on a node); with no runtime, k3s's registries.yaml and containerd's hosts.toml, which
    /// cover k3s and plain containerd. Returns what it wrote.
    /// </summary>
    /// <param name="registries">The upstream hosts to mirror (docker.io, quay.io, …).</param>
    /// <param name="endpoint">The local registry, such as http://127.0.0.1:5000.</param>
    /// <param name="root">The file system root to write under (for Talos, the folder of the patch file).</param>
    /// <param name="caFile">The CA the endpoint's certificate chains to, for an https endpoint: copied where the runtime looks (Talos: inline).</param>
    /// <param name="credential">Credentials for the endpoint (k3s and Talos only: those files are then readable by their owner alone).</param>
    /// <param name="skipVerify">Do not check the endpoint's certificate.</param>
    /// <param name="runtime">The node's runtime; null writes the k3s and containerd files.</param>
    /// <param name="talos">The Talos release, for its format (null: the newest).</param>
    public static IReadOnlyList<string> Write(IEnumerable<string> registries, Uri endpoint, string root, string? caFile, Credential? credential = null, bool skipVerify = false,
        NodeRuntime? runtime = null, Version? talos = null)
    {
        if (endpoint.Scheme is not ("http" or "https") || endpoint.AbsolutePath != "/")
        {
            throw new KargoException($"--endpoint '{endpoint}' must be http(s)://HOST:PORT with no path");
        }
        Exact(endpoint);
        if (credential is not null && runtime is NodeRuntime.Containerd or NodeRuntime.Microk8s or NodeRuntime.Crio)
        {
            throw new KargoException($"--creds can be written for k3s and talos only: {runtime} reads registry credentials from elsewhere (containerd's CRI config, CRI-O's auth file); run the local registry without auth, or give its credentials there");
        }
        var caPem = caFile is null ? null : ReadCa(caFile);
        var hosts = registries.Distinct().Order(StringComparer.Ordinal).ToList();
        var files = new MirrorFiles(root);
        switch (runtime)
        {
            case NodeRuntime.K3s:
                files.K3s(hosts, endpoint, caPem, credential, skipVerify);
                break;
            case NodeRuntime.Containerd:
                files.Containerd(ContainerdCertsDir, hosts, endpoint, caPem, skipVerify);
                break;
            case NodeRuntime.Microk8s:
                files.Containerd(Microk8sCertsDir, hosts, endpoint, caPem, skipVerify);
                break;
            case NodeRuntime.Crio:
                files.Crio(hosts, endpoint, caPem, skipVerify);
                break;
            case NodeRuntime.Talos:
                files.Add(TalosMirrorConfig.FileName, TalosMirrorConfig.Text(hosts, endpoint, caPem, credential, skipVerify, talos), credential is null ? AtomicFile.Readable : OwnerOnly);
                break;
            default:
                files.K3s(hosts, endpoint, caPem, credential, skipVerify);
                files.Containerd(ContainerdCertsDir, hosts, endpoint, caPem, skipVerify);
                break;
        }
        return files.Written;
    }

    public const string Microk8sCertsDir = "var/snap/microk8s/current/args/certs.d";

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private static string ReadCa(string caFile) => File.Exists(caFile)
        ? File.ReadAllText(caFile)
        : throw new KargoException($"--ca {Terminal.Printable(caFile)} does not exist: give the CA file the endpoint's certificate chains to (serve --tls-self-signed keeps it as DIR/tls/ca.pem)");

    /// <summary>The files of one run under the root, each written whole under a temporary name first.</summary>
    private sealed class MirrorFiles(string root)
    {
        public List<string> Written { get; } = [];

        public void Add(string path, string text, UnixFileMode mode = AtomicFile.Readable)
        {
            var file = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            AtomicFile.WriteAllBytes(file, Encoding.UTF8.GetBytes(text), mode);
            Written.Add(file);
        }

        /// <summary>The CA where k3s and containerd are told to find it: a path of the build machine means nothing on a node.</summary>
        private string? NodeCa(string? caPem)
        {
            if (caPem is not null && !Written.Contains(Path.Combine(root, NodeCaFile.TrimStart('/'))))
            {
                Add(NodeCaFile.TrimStart('/'), caPem);
            }
            return caPem is null ? null : NodeCaFile;
        }

        public void K3s(IReadOnlyList<string> hosts, Uri endpoint, string? caPem, Credential? credential, bool skipVerify) =>
            Add(K3sRegistries, RegistriesYaml(hosts, endpoint, NodeCa(caPem), credential, skipVerify), credential is null ? AtomicFile.Readable : OwnerOnly);

        public void Containerd(string certsDir, IReadOnlyList<string> hosts, Uri endpoint, string? caPem, bool skipVerify)
        {
            var ca = NodeCa(caPem);
            foreach (var host in hosts)
            {
                Add($"{certsDir}/{host}/hosts.toml", HostsToml(host, endpoint, ca, skipVerify));
            }
        }

        public void Crio(IReadOnlyList<string> hosts, Uri endpoint, string? caPem, bool skipVerify)
        {
            if (caPem is not null)
            {
                Add(ContainersMirrorConf.CaFile(endpoint), caPem);
            }
            Add(ContainersMirrorConf.DropIn, ContainersMirrorConf.Text(hosts, endpoint, skipVerify));
        }
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
    internal static string Checked(string value, string what) =>
        value.Any(char.IsControl) ? throw new KargoException($"{what} holds a control character (a newline or tab?): it cannot be written as it is; remove it") : value;
}
