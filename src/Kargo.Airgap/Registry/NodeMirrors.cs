using Kargo.Airgap.Oci;
using Tomlyn;
using Tomlyn.Model;
using YamlDotNet.RepresentationModel;

namespace Kargo.Airgap.Registry;

/// <summary>A registry a node's runtime pulls a host's images from instead of the host itself.</summary>
/// <param name="Endpoint">scheme://host:port of the mirror.</param>
/// <param name="CaFile">The CA its certificate chains to, as a path on this machine (under the root).</param>
/// <param name="SkipVerify">Its certificate is not checked.</param>
/// <param name="Credential">What the runtime logs in with (k3s's registries.yaml configs.auth).</param>
public sealed record NodeMirror(Uri Endpoint, string? CaFile = null, bool SkipVerify = false, Credential? Credential = null);

/// <summary>
/// The mirrors a node's container runtime pulls through, read back from the files
/// <see cref="MirrorConfig"/> writes (or a user edited): k3s's <c>registries.yaml</c> (mirrors,
/// the <c>*</c> wildcard, configs' tls and auth) or containerd's <c>certs.d/HOST/hosts.toml</c>
/// (<c>[host."URL"]</c> tables with the pull capability, <c>_default</c>). A host with none is pulled
/// from the host itself; so is an image no mirror serves (both runtimes fall back to upstream).
/// </summary>
public sealed class NodeMirrors
{
    private readonly Dictionary<string, IReadOnlyList<NodeMirror>> _hosts;
    private readonly IReadOnlyList<NodeMirror> _default;

    private NodeMirrors(string source, Dictionary<string, IReadOnlyList<NodeMirror>> hosts, IReadOnlyList<NodeMirror> fallback)
    {
        Source = source;
        _hosts = hosts;
        _default = fallback;
    }

    /// <summary>Where these mirrors were read from (a file or folder), for reports.</summary>
    public string Source { get; }

    /// <summary>The hosts with mirrors of their own (without the wildcard).</summary>
    public IReadOnlyCollection<string> Hosts => _hosts.Keys;

    /// <summary>The mirror at this host:port, when it is one: an image named by the mirror's own address is pulled from it directly.</summary>
    public NodeMirror? Named(string authority) =>
        _hosts.Values.SelectMany(m => m).Concat(_default).FirstOrDefault(m => string.Equals(m.Endpoint.Authority, authority, StringComparison.OrdinalIgnoreCase));

    /// <summary>The mirrors of an image's registry, in the order the runtime tries them; empty: pulled from the registry itself.</summary>
    public IReadOnlyList<NodeMirror> For(string registry) =>
        _hosts.GetValueOrDefault(registry) ?? _hosts.GetValueOrDefault(ImageReference.ApiHostOf(registry)) ?? _default;

    /// <summary>Every registry host served by one registry, as <c>registry-config</c> writes for a bundle's hosts (--registry).</summary>
    public static NodeMirrors Everything(Uri endpoint, string? caFile = null, bool skipVerify = false) =>
        new($"--registry {endpoint.GetLeftPart(UriPartial.Authority)}", [], [new NodeMirror(new Uri(endpoint.GetLeftPart(UriPartial.Authority)), caFile, skipVerify)]);

    /// <summary>
    /// The mirrors of the runtime under <paramref name="root"/> (/ on a node): k3s's registries.yaml,
    /// microk8s's or containerd's certs.d. With no runtime given, the one <see cref="NodeRuntimes.Detect"/> finds.
    /// </summary>
    public static NodeMirrors Read(string root, NodeRuntime? runtime = null)
    {
        runtime ??= NodeRuntimes.Detect(root) ?? throw new KargoException($"no container runtime's mirror configuration under {root} (k3s's {MirrorConfig.K3sRegistries}, microk8s's or containerd's certs.d): give --registry URL to check against a registry");
        return runtime switch
        {
            NodeRuntime.K3s => ReadRegistriesYaml(root, Path.Combine(root, MirrorConfig.K3sRegistries)),
            NodeRuntime.Microk8s => ReadCertsDir(root, Path.Combine(root, MirrorConfig.Microk8sCertsDir)),
            NodeRuntime.Containerd => ReadCertsDir(root, Path.Combine(root, MirrorConfig.ContainerdCertsDir)),
            _ => throw new KargoException($"reading the mirrors of {runtime} is not supported: give --registry URL to check against a registry"),
        };
    }

    /// <summary>k3s's registries.yaml: mirrors.HOST.endpoint (in order), configs.AUTHORITY.tls/auth; a missing file mirrors nothing.</summary>
    public static NodeMirrors ReadRegistriesYaml(string root, string file)
    {
        if (!File.Exists(file))
        {
            return new NodeMirrors($"{file} (missing)", [], []);
        }
        YamlMappingNode? document;
        try
        {
            document = Spec.YamlText.Load(File.ReadAllText(file), file).Documents.FirstOrDefault()?.RootNode as YamlMappingNode;
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new KargoException($"{file} is not valid YAML: {e.Message}", e);
        }
        var configs = Map(document, "configs");
        var hosts = new Dictionary<string, IReadOnlyList<NodeMirror>>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in Map(document, "mirrors")?.Children ?? Enumerable.Empty<KeyValuePair<YamlNode, YamlNode>>())
        {
            var endpoints = value is YamlMappingNode m && m.Children.TryGetValue(new YamlScalarNode("endpoint"), out var list) && list is YamlSequenceNode sequence
                ? sequence.Children.OfType<YamlScalarNode>().Select(s => s.Value).OfType<string>()
                : [];
            var mirrors = new List<NodeMirror>();
            foreach (var text in endpoints)
            {
                if (!Uri.TryCreate(text.Contains("://", StringComparison.Ordinal) ? text : $"https://{text}", UriKind.Absolute, out var endpoint))
                {
                    continue;
                }
                var authority = new Uri(endpoint.GetLeftPart(UriPartial.Authority));
                var config = Map(configs, authority.Authority) ?? Map(configs, authority.Host);
                var tls = Map(config, "tls");
                var auth = Map(config, "auth");
                mirrors.Add(new NodeMirror(
                    authority,
                    Scalar(tls, "ca_file") is { Length: > 0 } ca ? UnderRoot(root, ca) : null,
                    Scalar(tls, "insecure_skip_verify") == "true",
                    Scalar(auth, "username") is { } user && Scalar(auth, "password") is { } password ? new Credential(user, password, file) : null));
            }
            if (key is YamlScalarNode { Value: { } host })
            {
                hosts[host] = mirrors;
            }
        }
        var wildcard = hosts.Remove("*", out var all) ? all : [];
        return new NodeMirrors(file, hosts, wildcard);
    }

    /// <summary>containerd's certs.d: a folder per host (_default for any other) holding hosts.toml; a missing folder mirrors nothing.</summary>
    public static NodeMirrors ReadCertsDir(string root, string folder)
    {
        var hosts = new Dictionary<string, IReadOnlyList<NodeMirror>>(StringComparer.OrdinalIgnoreCase);
        foreach (var file in Directory.Exists(folder) ? Directory.GetFiles(folder, "hosts.toml", SearchOption.AllDirectories) : [])
        {
            var host = Path.GetFileName(Path.GetDirectoryName(file))!;
            TomlTable? document;
            try
            {
                document = TomlSerializer.Deserialize<TomlTable>(File.ReadAllText(file));
            }
            catch (Exception e) when (e is TomlException or InvalidOperationException)
            {
                throw new KargoException($"{file} is not valid TOML: {e.Message}", e);
            }
            var mirrors = new List<NodeMirror>();
            if (document?.TryGetValue("host", out var table) == true && table is TomlTable hostTables)
            {
                foreach (var (url, value) in hostTables)
                {
                    var settings = value as TomlTable;
                    var capabilities = settings?.TryGetValue("capabilities", out var caps) == true && caps is TomlArray array ? array.OfType<string>().ToList() : ["pull", "resolve", "push"];
                    if (!capabilities.Contains("pull") || !Uri.TryCreate(url.Contains("://", StringComparison.Ordinal) ? url : $"https://{url}", UriKind.Absolute, out var endpoint))
                    {
                        continue;
                    }
                    var ca = settings?.TryGetValue("ca", out var caValue) == true && caValue is string caPath ? UnderRoot(root, caPath) : null;
                    var skip = settings?.TryGetValue("skip_verify", out var skipValue) == true && skipValue is true;
                    mirrors.Add(new NodeMirror(new Uri(endpoint.GetLeftPart(UriPartial.Authority)), ca, skip));
                }
            }
            // A server other than the host's own is where every pull goes: a mirror too.
            if (document?.TryGetValue("server", out var server) == true && server is string serverText && Uri.TryCreate(serverText, UriKind.Absolute, out var serverUri)
                && !string.Equals(serverUri.Authority, ImageReference.ApiHostOf(host), StringComparison.OrdinalIgnoreCase) && host != "_default")
            {
                mirrors.Add(new NodeMirror(new Uri(serverUri.GetLeftPart(UriPartial.Authority))));
            }
            hosts[host] = mirrors;
        }
        var fallback = hosts.Remove("_default", out var any) ? any : [];
        return new NodeMirrors(folder, hosts, fallback);
    }

    /// <summary>How the registry client reaches these mirrors: plain HTTP (or no certificate check) and the CAs they name; credentials where configs give them.</summary>
    public RegistryOptions ClientOptions()
    {
        var all = _hosts.Values.SelectMany(m => m).Concat(_default).ToList();
        var credentials = RegistryCredentials.None();
        foreach (var mirror in all.Where(m => m.Credential is not null))
        {
            credentials = credentials.With(mirror.Endpoint.Authority, mirror.Credential!);
        }
        return new RegistryOptions
        {
            InsecureRegistries = all.Where(m => m.Endpoint.Scheme == "http" || m.SkipVerify).Select(m => m.Endpoint.Authority).ToHashSet(StringComparer.OrdinalIgnoreCase),
            CaFiles = [.. all.Select(m => m.CaFile).OfType<string>().Where(File.Exists).Distinct()],
            Credentials = credentials,
            Retry = new Backoff(2, TimeSpan.FromMilliseconds(200)),
            InsecureHint = "insecure_skip_verify in the mirror configuration for {0}",
        };
    }

    private static string UnderRoot(string root, string path) => Path.IsPathRooted(path) ? Path.Combine(root, path.TrimStart('/')) : path;

    private static YamlMappingNode? Map(YamlMappingNode? node, string key) =>
        node is not null && node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value as YamlMappingNode : null;

    private static string? Scalar(YamlMappingNode? node, string key) =>
        node is not null && node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? (value as YamlScalarNode)?.Value : null;
}
