using Kargo.Airgap.Bundle;
using Kargo.Airgap.Oci;
using Kargo.Airgap.Sources;
using Kargo.Airgap.Sources.Releases;
using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Build;

/// <summary>An image <c>lock</c> will resolve, and where it comes from (spec.images, or a manifest and the rule that finds it there).</summary>
public sealed record PlannedImage(string Reference, string FoundBy, string Origin)
{
    /// <summary>Named by the tag latest (or by no tag): the lock will pin whatever latest points to that day (<see cref="LatestTag"/>).</summary>
    public bool Latest => LatestTag.Names(Reference);
}

/// <summary>
/// What <c>lock</c> will contact, worked out without contacting anything (for a firewall or proxy
/// allow-list): every URL of the spec and its releases, every image of spec.images and of the
/// manifests already in the cache (those the lock pins and a build fetched), and the hosts of both.
/// A manifest not in the cache yet is listed as such: its images are known once it is downloaded.
/// </summary>
/// <param name="Urls">Release assets, spec.files, spec.manifests and VM disks, by URL.</param>
/// <param name="Images">Image references.</param>
/// <param name="NotCached">Manifest URLs whose images can be known only after they are downloaded.</param>
public sealed record LockPlan(IReadOnlyList<string> Urls, IReadOnlyList<PlannedImage> Images, IReadOnlyList<string> NotCached)
{
    /// <summary>Every host the URLs and the image registries name (registry API hosts, such as registry-1.docker.io for docker.io).</summary>
    public IReadOnlyList<string> Hosts =>
    [
        .. Urls.Select(u => new Uri(u).Authority)
            .Concat(Images.Select(i => ImageReference.Parse(i.Reference).ApiHost))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Order(StringComparer.Ordinal),
    ];

    public static LockPlan For(string specPath, string lockPath, ReleaseCatalog releases, OciLayout cache)
    {
        var spec = releases.Expand(SpecLoader.Load(specPath));
        var lockFile = LockFile.LoadOrEmpty(lockPath);
        var urls = spec.Files.Concat(spec.Manifests).Concat(spec.VmImages.Select(v => v.Download)).Where(f => f.IsUrl).Select(f => f.Source)
            .Concat(spec.Charts.Select(c => c.Repo is { } repo ? Sources.Charts.ChartRepositoryIndex.IndexUrl(repo) : $"oci://{c.OciTagged}"))
            .Distinct(StringComparer.Ordinal).ToList();
        var manifests = new List<(string Entry, string Path, string? Component)>();
        var notCached = new List<string>();
        foreach (var manifest in spec.Manifests)
        {
            if (!manifest.IsUrl)
            {
                manifests.Add((BundleLayout.Manifest(manifest.Name), Path.GetFullPath(manifest.Source, Path.GetDirectoryName(Path.GetFullPath(spec.File))!), manifest.Component));
            }
            else if (lockFile.FindFile(manifest.Source) is { } pin && Digest.TryParse("sha256:" + pin.Sha256, out var digest) && cache.Contains(digest, pin.Size))
            {
                manifests.Add((BundleLayout.Manifest(manifest.Name), cache.BlobPath(digest), manifest.Component));
            }
            else
            {
                notCached.Add(manifest.Source);
            }
        }
        // Which gates the KubeVirt release has GA or Beta is in its feature-gates.json (from v1.9.0): known once it is in the cache.
        KubeVirtFeatureGates? gates = null;
        if (KubeVirtRelease.FeatureGates(spec) is { } gateFile)
        {
            if (lockFile.FindFile(gateFile.Source) is { } pin && Digest.TryParse("sha256:" + pin.Sha256, out var digest) && cache.Contains(digest, pin.Size))
            {
                gates = KubeVirtFeatureGates.ReadFile(cache.BlobPath(digest), gateFile.Source);
            }
            else
            {
                notCached.Add($"{gateFile.Source} (which KubeVirt gates are GA or Beta, so which optional images virt-operator starts)");
            }
        }
        var embedded = new OperatorEmbeddedImages();
        ManifestImages.WithManifestImages(spec, manifests, embedded, gates);
        foreach (var operatorImage in embedded.Unread.ToList())
        {
            // What an operator's binary embeds is known from the lock once a lock read it; else lock reads it.
            if (lockFile.Find(operatorImage) is { } pin && lockFile.FindEmbedded(pin.Digest) is { } read)
            {
                embedded.Add(operatorImage, [.. read.Images.Select(ImageReference.Parse)]);
            }
            else
            {
                notCached.Add($"{operatorImage} (the images its {VirtOperatorBinary.File} embeds: read by lock)");
            }
        }
        var images = ManifestImages.WithManifestImages(spec, manifests, embedded, gates)
            .Where(i => !i.FromEngine)
            .Select(i => new PlannedImage(i.Reference.ToString(), i.FoundBy.Key(), spec.Where(i)))
            .ToList();
        return new LockPlan(urls, images, notCached);
    }
}
