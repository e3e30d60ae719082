using Kargo.Airgap.Bundle;
using Kargo.Airgap.Sources.Releases;
using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Build;

/// <summary>k3s's release publishes sha256sum-ARCH.txt beside its binary and airgap images: a build checks both against it.</summary>
public static class K3sChecksums
{
    /// <summary>Checks the binary and airgap images against the release's own sha256sum-ARCH.txt, downloaded beside them.</summary>
    public static void Check(BundleSpec spec, IReadOnlyList<BundleItem> items)
    {
        if (spec.Component(ComponentNames.K3s) is not { } k3s)
        {
            return;
        }
        var byEntry = items.ToDictionary(i => i.Path, StringComparer.Ordinal);
        foreach (var sums in items.Where(i => i.Path.StartsWith(BundleLayout.File("k3s-sha256sum-"), StringComparison.Ordinal)))
        {
            var arch = sums.Path[BundleLayout.File("k3s-sha256sum-").Length..^".txt".Length];
            var listed = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var line in System.IO.File.ReadLines(sums.SourceFile!))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length == 2)
                {
                    listed[fields[1].TrimStart('*')] = fields[0].ToLowerInvariant();
                }
            }
            foreach (var (asset, entry) in new[] { (K3sRelease.Binary(arch), BundleLayout.File($"k3s-{arch}")), (K3sRelease.AirgapImages(arch), BundleLayout.File(K3sRelease.AirgapImages(arch))) })
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
