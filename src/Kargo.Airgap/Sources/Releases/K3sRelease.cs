using Kargo.Airgap.Bundle;
using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Sources.Releases;

/// <summary>
/// k3s: github.com/k3s-io/k3s releases publish the binary (k3s for amd64, k3s-armhf for 32-bit arm, k3s-ARCH otherwise),
/// k3s-airgap-images-ARCH.tar.zst and sha256sum-ARCH.txt; the install script is install.sh at the
/// release's tag on raw.githubusercontent.com.
/// </summary>
public sealed class K3sRelease : IComponentRelease
{
    private const string Repository = "k3s-io/k3s";

    public string Name => "k3s";

    /// <summary>The release's binary: k3s for amd64, k3s-armhf for 32-bit arm, k3s-ARCH otherwise.</summary>
    private static string Binary(string arch) => arch switch
    {
        "amd64" => "k3s",
        "arm" => "k3s-armhf",
        _ => $"k3s-{arch}",
    };

    private static string AirgapImages(string arch) => $"k3s-airgap-images-{arch}.tar.zst";

    public (IReadOnlyList<SpecFile> Files, IReadOnlyList<SpecFile> Manifests) Assets(SpecComponent component, IReadOnlyList<string> architectures, ReleaseHosts hosts)
    {
        SpecFile File(string url, string name) => new(url, name, null, component.Line, Name);
        var files = new List<SpecFile>();
        foreach (var arch in architectures)
        {
            files.Add(File(hosts.GitHubRelease(Repository, component.Version, Binary(arch)), $"k3s-{arch}"));
            files.Add(File(hosts.GitHubRelease(Repository, component.Version, AirgapImages(arch)), AirgapImages(arch)));
            files.Add(File(hosts.GitHubRelease(Repository, component.Version, $"sha256sum-{arch}.txt"), $"k3s-sha256sum-{arch}.txt"));
        }
        files.Add(File(hosts.Url("raw.githubusercontent.com", $"/{Repository}/{Uri.EscapeDataString(component.Version)}/install.sh"), "k3s-install.sh"));
        return (files, []);
    }

    /// <summary>Checks the binary and airgap images against the release's own sha256sum-ARCH.txt, downloaded beside them.</summary>
    public static void Check(BundleSpec spec, IReadOnlyList<BundleItem> items)
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
            foreach (var (asset, entry) in new[] { (Binary(arch), $"files/k3s-{arch}"), (AirgapImages(arch), $"files/{AirgapImages(arch)}") })
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
