using Kargo.Airgap.Bundle;
using Kargo.Airgap.Oci;

namespace Kargo.Airgap.Build;

/// <summary>
/// The self-contained kargo-offline for each platform of a bundle, carried as
/// <c>bin/linux-ARCH/kargo-offline</c> (first after the inventory, so a script finds it without
/// reading the whole bundle), taken from a folder laid out as scripts/publish.sh writes it
/// (<c>linux-x64/kargo-offline</c>, <c>linux-arm64/kargo-offline</c>).
/// </summary>
public static class OfflineBinaries
{
    public const string Program = "kargo-offline";

    /// <summary>The bundle entry of the binary for a platform.</summary>
    public static string EntryFor(string architecture) => $"{BundleLayout.BinFolder}/linux-{architecture}/{Program}";

    /// <summary>The .NET runtime identifier publish.sh names the platform's folder after.</summary>
    public static string RuntimeIdentifier(string architecture) => architecture switch
    {
        "amd64" => "linux-x64",
        "arm64" => "linux-arm64",
        _ => throw new KargoException($"kargo-offline is published for linux/amd64 and linux/arm64, not linux/{architecture}: leave --offline-bin out for this bundle"),
    };

    /// <summary>A folder with a RID/kargo-offline for every one of these platforms, or null.</summary>
    public static bool Covers(string folder, IEnumerable<Platform> platforms) =>
        platforms.Where(p => p.Os == "linux").All(p => p.Architecture is "amd64" or "arm64" && File.Exists(Path.Combine(folder, RuntimeIdentifier(p.Architecture), Program)));

    public static async Task<IReadOnlyList<BundleItem>> ItemsAsync(string folder, IEnumerable<Platform> platforms, CancellationToken cancellationToken)
    {
        var items = new List<BundleItem>();
        foreach (var architecture in platforms.Where(p => p.Os == "linux").Select(p => p.Architecture).Distinct().Order(StringComparer.Ordinal))
        {
            var binary = Path.Combine(folder, RuntimeIdentifier(architecture), Program);
            if (!File.Exists(binary))
            {
                throw new KargoException($"--offline-bin {folder} has no {RuntimeIdentifier(architecture)}/{Program} for linux/{architecture}: run 'scripts/publish.sh {RuntimeIdentifier(architecture)}' (it writes dist/bin/RID/)");
            }
            var sha256 = await Digest.ComputeFileAsync(binary, cancellationToken);
            items.Add(BundleItem.FromFile(EntryFor(architecture), binary, new FileInfo(binary).Length, sha256.Hex));
        }
        return items;
    }
}
