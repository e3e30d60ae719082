using Kargo.Airgap.Oci;
using Tomlyn;
using Tomlyn.Model;

namespace Kargo.Airgap.Registry;

/// <summary>When a mirror may answer: for every pull, or only for references by digest (registries.conf's pull-from-mirror).</summary>
public enum MirrorUse { All, DigestOnly, TagOnly }

/// <summary>One mirror of a prefix: where it is (HOST[:PORT][/PATH]), whether it is plain HTTP, and where it was configured.</summary>
public sealed record RegistryMirror(string Location, bool Insecure, MirrorUse Use, string Origin)
{
    /// <summary>The mirror's host, as --insecure-registry names hosts.</summary>
    public string Host => Location.Split('/')[0];
}

/// <summary>
/// Mirrors of upstream registries on the build host, as skopeo and podman read them
/// (containers-registries.conf(5): <c>[[registry]]</c> tables with <c>[[registry.mirror]]</c>,
/// chosen by the longest <c>prefix</c>) and as <c>--registry-mirror PREFIX=LOCATION</c> gives them.
/// Content comes from a mirror when it can, upstream otherwise; it is checked by digest either way,
/// and images keep their upstream names everywhere (a Harbor proxy cache or an Artifactory remote).
/// </summary>
public sealed class RegistryMirrors
{
    private readonly Dictionary<string, List<RegistryMirror>> _byPrefix = new(StringComparer.Ordinal);

    public static RegistryMirrors None() => new();

    /// <summary>Every mirror host that is reached over plain HTTP.</summary>
    public IEnumerable<string> InsecureHosts => _byPrefix.Values.SelectMany(m => m).Where(m => m.Insecure).Select(m => m.Host).Distinct();

    public bool IsEmpty => _byPrefix.Count == 0;

    /// <param name="flags">--registry-mirror PREFIX=LOCATION values; they go before the files' mirrors of the same prefix.</param>
    /// <param name="registriesConf">A registries.conf to read instead of the user's or the system's (skopeo's --registries-conf); its drop-ins are not read.</param>
    /// <param name="environment">Reads environment variables (HOME, CONTAINERS_REGISTRIES_CONF).</param>
    /// <param name="systemRoot">Where /etc is (a test's folder; "/" on a real host).</param>
    public static RegistryMirrors Load(IEnumerable<string> flags, string? registriesConf = null, Func<string, string?>? environment = null, string systemRoot = "/")
    {
        environment ??= Environment.GetEnvironmentVariable;
        var mirrors = new RegistryMirrors();
        foreach (var file in ConfigFiles(registriesConf, environment, systemRoot))
        {
            mirrors.Read(file);
        }
        foreach (var flag in flags.Reverse())
        {
            var (prefix, location) = ParseFlag(flag);
            mirrors.Mirrors(prefix).Insert(0, new RegistryMirror(location, false, MirrorUse.All, "--registry-mirror"));
        }
        return mirrors;
    }

    /// <summary>Where to ask for an image, in order: each mirror of its longest matching prefix that may answer this reference, then upstream.</summary>
    public IReadOnlyList<(ImageReference Reference, RegistryMirror? Mirror)> CandidatesFor(ImageReference image)
    {
        var name = image.Name;
        var prefix = _byPrefix.Keys.Where(p => name == p || name.StartsWith(p + "/", StringComparison.Ordinal)).MaxBy(p => p.Length);
        var candidates = new List<(ImageReference, RegistryMirror?)>();
        if (prefix is not null)
        {
            var rest = name[prefix.Length..];
            var suffix = image.Digest is { } digest ? "@" + digest : ":" + image.Tag;
            foreach (var mirror in _byPrefix[prefix].Where(m => m.Use == MirrorUse.All || (m.Use == MirrorUse.DigestOnly) == (image.Digest is not null)))
            {
                candidates.Add((ImageReference.Parse(mirror.Location + rest + suffix), mirror));
            }
        }
        candidates.Add((image, null));
        return candidates;
    }

    private List<RegistryMirror> Mirrors(string prefix)
    {
        if (!_byPrefix.TryGetValue(prefix, out var list))
        {
            _byPrefix[prefix] = list = [];
        }
        return list;
    }

    private static (string Prefix, string Location) ParseFlag(string flag)
    {
        var equals = flag.IndexOf('=');
        var (prefix, location) = equals > 0 ? (flag[..equals].Trim(), flag[(equals + 1)..].Trim()) : ("", "");
        if (prefix.Length == 0 || location.Length == 0 || location.Contains("://", StringComparison.Ordinal))
        {
            throw new KargoException($"--registry-mirror '{flag}': expected PREFIX=LOCATION, such as quay.io=harbor.lan/quay-proxy (a host and an optional path, no scheme)");
        }
        return (NormalPrefix(prefix), location.TrimEnd('/'));
    }

    /// <summary>docker.io prefixes name Docker Hub's repositories as references do (index.docker.io is docker.io).</summary>
    private static string NormalPrefix(string prefix)
    {
        var slash = prefix.IndexOf('/');
        var host = slash < 0 ? prefix : prefix[..slash];
        return ImageReference.RegistryOfHost(host.ToLowerInvariant()) + (slash < 0 ? "" : prefix[slash..].TrimEnd('/'));
    }

    /// <summary>
    /// The files podman reads, in its order: $CONTAINERS_REGISTRIES_CONF, else the user's
    /// ~/.config/containers/registries.conf if it exists (then only the user's drop-ins), else
    /// /etc/containers/registries.conf with /etc's drop-ins and then the user's.
    /// </summary>
    private static IEnumerable<string> ConfigFiles(string? explicitFile, Func<string, string?> environment, string systemRoot)
    {
        if ((explicitFile ?? environment("CONTAINERS_REGISTRIES_CONF")) is { Length: > 0 } only)
        {
            return File.Exists(only) ? [only] : throw new KargoException($"registries.conf '{only}' does not exist");
        }
        var home = environment("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var user = Path.Combine(home, ".config", "containers", "registries.conf");
        var system = Path.Combine(systemRoot, "etc", "containers", "registries.conf");
        IEnumerable<string> files = File.Exists(user) ? [user] : [system, .. DropIns(system + ".d")];
        return [.. files.Where(File.Exists), .. DropIns(user + ".d")];
    }

    private static IEnumerable<string> DropIns(string folder) =>
        Directory.Exists(folder) ? Directory.GetFiles(folder, "*.conf").Order(StringComparer.Ordinal) : [];

    /// <summary>Reads one file's [[registry]] tables; a table replaces an earlier one of the same prefix, as drop-ins do.</summary>
    private void Read(string file)
    {
        TomlTable? document;
        try
        {
            document = TomlSerializer.Deserialize<TomlTable>(File.ReadAllText(file));
        }
        catch (Exception e) when (e is TomlException or InvalidOperationException)
        {
            throw new KargoException($"{file}: not a valid registries.conf ({e.Message}); fix it, or name another with --registries-conf", e);
        }
        if (document is null || !document.TryGetValue("registry", out var tables) || tables is not TomlTableArray registries)
        {
            return;
        }
        foreach (var registry in registries)
        {
            var location = registry.TryGetValue("location", out var l) ? l as string : null;
            var prefix = registry.TryGetValue("prefix", out var p) && p is string given ? given : location;
            if (prefix is not { Length: > 0 })
            {
                throw new KargoException($"{file}: a [[registry]] table has neither prefix nor location");
            }
            var digestOnly = registry.TryGetValue("mirror-by-digest-only", out var d) && d is true;
            var mirrors = new List<RegistryMirror>();
            if (registry.TryGetValue("mirror", out var m) && m is TomlTableArray mirrorTables)
            {
                foreach (var mirror in mirrorTables)
                {
                    if (mirror.TryGetValue("location", out var where) && where is string { Length: > 0 } mirrorLocation)
                    {
                        mirrors.Add(new RegistryMirror(mirrorLocation.TrimEnd('/'), mirror.TryGetValue("insecure", out var i) && i is true, UseOf(mirror, digestOnly, file), file));
                    }
                }
            }
            // A location other than the prefix sends every pull there: for kargo, a mirror the upstream name keeps.
            if (location is not null && NormalPrefix(location) != NormalPrefix(prefix))
            {
                mirrors.Add(new RegistryMirror(location.TrimEnd('/'), registry.TryGetValue("insecure", out var ri) && ri is true, MirrorUse.All, file));
            }
            _byPrefix[NormalPrefix(prefix)] = mirrors;
        }
    }

    private static MirrorUse UseOf(TomlTable mirror, bool digestOnly, string file) =>
        (mirror.TryGetValue("pull-from-mirror", out var value) ? value as string : null) switch
        {
            null or "" => digestOnly ? MirrorUse.DigestOnly : MirrorUse.All,
            "all" => MirrorUse.All,
            "digest-only" => MirrorUse.DigestOnly,
            "tag-only" => MirrorUse.TagOnly,
            var other => throw new KargoException($"{file}: pull-from-mirror = \"{other}\" is not all, digest-only or tag-only"),
        };
}
