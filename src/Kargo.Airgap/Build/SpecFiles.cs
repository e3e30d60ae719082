using Kargo.Airgap.Bundle;
using Kargo.Airgap.Sources;
using Kargo.Airgap.Sources.Releases;
using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Build;

/// <summary>Where lock and build read a spec's files: a URL's download in the cache (fetched if missing), a path beside the spec.</summary>
internal static class SpecFiles
{
    public static async Task<string> PathAsync(BundleSpec spec, PinnedFile file, FileSource? files, CancellationToken cancellationToken)
    {
        if (file.Pin is { } pin)
        {
            return await (files ?? throw NoFileSource()).FetchAsync(pin, cancellationToken);
        }
        var local = Path.GetFullPath(file.File.Source, Path.GetDirectoryName(Path.GetFullPath(spec.File))!);
        return File.Exists(local) ? local : throw new KargoException($"{spec.Where(file.File.Line)}: {local} does not exist");
    }

    /// <summary>spec.manifests as image discovery reads them: bundle entry, file, component.</summary>
    public static async Task<List<(string Entry, string Path, string? Component)>> ManifestsAsync(BundleSpec spec, IEnumerable<PinnedFile> pinned, FileSource? files, CancellationToken cancellationToken)
    {
        var manifests = new List<(string Entry, string Path, string? Component)>();
        foreach (var file in pinned.Where(f => f.Kind == SpecFileKind.Manifest))
        {
            manifests.Add((BundleLayout.Manifest(file.File.Name), await PathAsync(spec, file, files, cancellationToken), file.File.Component));
        }
        return manifests;
    }

    /// <summary>
    /// The KubeVirt release's feature-gates.json (from v1.9.0), read (at most <see cref="KubeVirtFeatureGates.MaxBytes"/>)
    /// from the same pinned download in the cache that the bundle carries as files/kubevirt-feature-gates.json;
    /// null when the release publishes none.
    /// </summary>
    public static async Task<KubeVirtFeatureGates?> KubeVirtGatesAsync(BundleSpec spec, IEnumerable<PinnedFile> pinned, FileSource? files, CancellationToken cancellationToken)
    {
        var wanted = KubeVirtRelease.FeatureGates(spec);
        if (wanted is null || pinned.FirstOrDefault(f => f.Kind == SpecFileKind.File && f.File == wanted) is not { } file)
        {
            return null;
        }
        return KubeVirtFeatureGates.ReadFile(await PathAsync(spec, file, files, cancellationToken), file.File.Source);
    }

    /// <summary>Files by URL (release assets, manifests, VM disks) need a file source; a builder made without one says so.</summary>
    public static KargoException NoFileSource() => new("this build has no file source for spec.files, spec.manifests and spec.vmImages URLs");
}
