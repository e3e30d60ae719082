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

    /// <summary>Writes both files under <paramref name="root"/> (/ on a node); returns what it wrote.</summary>
    /// <param name="registries">The upstream hosts to mirror (docker.io, quay.io, …).</param>
    /// <param name="endpoint">The local registry, such as http://127.0.0.1:5000.</param>
    /// <param name="root">The file system root to write under.</param>
    /// <param name="caFile">The CA the endpoint's certificate chains to, for an https endpoint.</param>
    /// <param name="credential">Credentials for the endpoint (k3s only: the file is then readable by root alone).</param>
    /// <param name="skipVerify">Do not check the endpoint's certificate.</param>
    public static IReadOnlyList<string> Write(IEnumerable<string> registries, Uri endpoint, string root, string? caFile, Credential? credential = null, bool skipVerify = false)
    {
        if (endpoint.Scheme is not ("http" or "https") || endpoint.AbsolutePath != "/")
        {
            throw new KargoException($"--endpoint '{endpoint}' must be http(s)://HOST:PORT with no path");
        }
        var hosts = registries.Distinct().Order(StringComparer.Ordinal).ToList();
        var written = new List<string>();
        var k3s = Path.Combine(root, K3sRegistries);
        Directory.CreateDirectory(Path.GetDirectoryName(k3s)!);
        AtomicFile.WriteAllBytes(k3s, Encoding.UTF8.GetBytes(RegistriesYaml(hosts, endpoint, caFile, credential, skipVerify)));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(k3s, credential is null
                ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead
                : UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
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
        var local = endpoint.GetLeftPart(UriPartial.Authority);
        var yaml = new StringBuilder("# Written by kargo-offline: every registry of the bundle is served by the local registry.\nmirrors:\n");
        foreach (var host in hosts)
        {
            yaml.Append($"  {Quoted(host)}:\n    endpoint:\n      - {Quoted(local)}\n");
        }
        var tls = endpoint.Scheme == "https" && (caFile is not null || skipVerify);
        if (credential is null && !tls)
        {
            return yaml.ToString();
        }
        yaml.Append($"configs:\n  \"{endpoint.Authority}\":\n");
        if (credential is not null)
        {
            yaml.Append($"    auth:\n      username: {Quoted(credential.Username)}\n      password: {Quoted(credential.Secret)}\n");
        }
        if (tls)
        {
            yaml.Append("    tls:\n");
            if (caFile is not null)
            {
                yaml.Append($"      ca_file: {Quoted(caFile)}\n");
            }
            if (skipVerify)
            {
                yaml.Append("      insecure_skip_verify: true\n");
            }
        }
        return yaml.ToString();
    }

    public static string HostsToml(string host, Uri endpoint, string? caFile, bool skipVerify = false)
    {
        var upstream = host == Oci.ImageReference.DockerHub ? "https://registry-1.docker.io" : $"https://{host}";
        var toml = new StringBuilder($"# Written by kargo-offline: {host} is served by the local registry.\nserver = \"{upstream}\"\n\n");
        toml.Append($"[host.\"{endpoint.GetLeftPart(UriPartial.Authority)}\"]\n  capabilities = [\"pull\", \"resolve\"]\n");
        if (endpoint.Scheme == "https" && caFile is not null)
        {
            toml.Append($"  ca = {Quoted(caFile)}\n");
        }
        if (endpoint.Scheme == "https" && skipVerify)
        {
            toml.Append("  skip_verify = true\n");
        }
        return toml.ToString();
    }

    /// <summary>A double-quoted string, escaped the same way in YAML and TOML.</summary>
    private static string Quoted(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
