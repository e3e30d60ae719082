using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Sources;

/// <summary>
/// Where the platform's releases live: every upstream URL pattern of k3s, KubeVirt and CDI, in one
/// place. A component asked for by version becomes the files and manifests it needs; the images
/// come from those manifests (and k3s's airgap tarball), never from names written here.
/// </summary>
public sealed class Releases(string? mirror)
{
    /// <summary>
    /// The URL of a file on an upstream host, or on a mirror that keeps upstream hosts as its first
    /// folder (MIRROR/github.com/k3s-io/…), as generic remote repositories in Artifactory or Nexus do.
    /// </summary>
    public string Url(string host, string path) =>
        mirror is null ? $"https://{host}{path}" : $"{mirror.TrimEnd('/')}/{host}{path}";

    private string GitHubRelease(string repository, string version, string asset) =>
        Url("github.com", $"/{repository}/releases/download/{Uri.EscapeDataString(version)}/{asset}");

    /// <summary>The spec with each component's files and manifests added (named, and placed at the component's line).</summary>
    public BundleSpec Expand(BundleSpec spec)
    {
        var files = spec.Files.ToList();
        var manifests = spec.Manifests.ToList();
        var architectures = spec.Platforms.Where(p => p.Os == "linux").Select(p => p.Architecture).Distinct().ToList();
        foreach (var component in spec.Components)
        {
            var (componentFiles, componentManifests) = Assets(component, architectures);
            files.AddRange(componentFiles);
            manifests.AddRange(componentManifests);
        }
        foreach (var group in new[] { files, manifests })
        {
            if (group.GroupBy(f => f.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1) is { } clash)
            {
                throw new KargoException($"{spec.Where(clash.Last().Line)}: '{clash.Key}' is both a release file and a file of the spec; give the spec's a name: of its own");
            }
        }
        return spec with { Files = files, Manifests = manifests };
    }

    private (List<SpecFile> Files, List<SpecFile> Manifests) Assets(SpecComponent component, IReadOnlyList<string> architectures)
    {
        var files = new List<SpecFile>();
        var manifests = new List<SpecFile>();
        SpecFile File(string url, string name) => new(url, name, null, component.Line, component.Name);
        switch (component.Name)
        {
            case "k3s":
                foreach (var arch in architectures)
                {
                    const string Repository = "k3s-io/k3s";
                    files.Add(File(GitHubRelease(Repository, component.Version, arch == "amd64" ? "k3s" : $"k3s-{arch}"), $"k3s-{arch}"));
                    files.Add(File(GitHubRelease(Repository, component.Version, $"k3s-airgap-images-{arch}.tar.zst"), $"k3s-airgap-images-{arch}.tar.zst"));
                    files.Add(File(GitHubRelease(Repository, component.Version, $"sha256sum-{arch}.txt"), $"k3s-sha256sum-{arch}.txt"));
                }
                files.Add(File(Url("raw.githubusercontent.com", $"/k3s-io/k3s/{Uri.EscapeDataString(component.Version)}/install.sh"), "k3s-install.sh"));
                break;
            case "kubevirt":
                manifests.Add(File(GitHubRelease("kubevirt/kubevirt", component.Version, "kubevirt-operator.yaml"), "kubevirt-operator.yaml"));
                manifests.Add(File(GitHubRelease("kubevirt/kubevirt", component.Version, "kubevirt-cr.yaml"), "kubevirt-cr.yaml"));
                foreach (var arch in architectures)
                {
                    files.Add(File(GitHubRelease("kubevirt/kubevirt", component.Version, $"virtctl-{component.Version}-linux-{arch}"), $"virtctl-linux-{arch}"));
                }
                break;
            case "cdi":
                manifests.Add(File(GitHubRelease("kubevirt/containerized-data-importer", component.Version, "cdi-operator.yaml"), "cdi-operator.yaml"));
                manifests.Add(File(GitHubRelease("kubevirt/containerized-data-importer", component.Version, "cdi-cr.yaml"), "cdi-cr.yaml"));
                break;
        }
        return (files, manifests);
    }

    /// <summary>
    /// Checks k3s's binary and airgap images against the release's own sha256sum-ARCH.txt, as
    /// downloaded (and pinned) beside them.
    /// </summary>
    public static void CheckK3s(BundleSpec spec, IReadOnlyList<Bundle.BundleItem> items)
    {
        if (spec.Components.FirstOrDefault(c => c.Name == "k3s") is not { } k3s)
        {
            return;
        }
        var byEntry = items.ToDictionary(i => i.Path, StringComparer.Ordinal);
        foreach (var sums in items.Where(i => i.Path.StartsWith("files/k3s-sha256sum-", StringComparison.Ordinal)))
        {
            var arch = sums.Path["files/k3s-sha256sum-".Length..^".txt".Length];
            var listed = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var line in System.IO.File.ReadLines(sums.SourceFile!))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length == 2)
                {
                    listed[fields[1].TrimStart('*')] = fields[0].ToLowerInvariant();
                }
            }
            foreach (var (asset, entry) in new[] { (arch == "amd64" ? "k3s" : $"k3s-{arch}", $"files/k3s-{arch}"), ($"k3s-airgap-images-{arch}.tar.zst", $"files/k3s-airgap-images-{arch}.tar.zst") })
            {
                if (!listed.TryGetValue(asset, out var expected))
                {
                    throw new KargoException($"{spec.Where(k3s.Line)}: k3s {k3s.Version}: sha256sum-{arch}.txt does not list {asset}");
                }
                if (byEntry.TryGetValue(entry, out var item) && item.Sha256 != expected)
                {
                    throw new KargoException($"{spec.Where(k3s.Line)}: k3s {k3s.Version}: {asset} hashes to {item.Sha256} but the release's sha256sum-{arch}.txt says {expected}");
                }
            }
        }
    }
}
