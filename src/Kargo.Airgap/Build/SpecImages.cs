using Kargo.Airgap.Engine;
using Kargo.Airgap.Oci;
using Kargo.Airgap.Sources;
using Kargo.Airgap.Sources.Releases;
using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Build;

/// <summary>A spec whose images are all pinned: the images its manifests name included, and the engine that serves its source: docker images (to dispose).</summary>
internal sealed record PinnedImages(BundleSpec Spec, IReadOnlyList<PinnedImage> Pinned, EngineImages? Engine) : IDisposable
{
    public void Dispose() => Engine?.Dispose();
}

/// <summary>The stage lock and build share once files and charts are pinned: images found in the manifests and charts join the spec's, and every image is pinned.</summary>
internal static class SpecImages
{
    public static async Task<PinnedImages> PinAsync(BundleSpec spec, IReadOnlyList<PinnedFile> pinnedFiles, FileSource? files, IReadOnlyList<ChartFindings> charts, LockFile lockFile, string lockPath, PinMode mode,
        ImageSource images, OciLayout cache, Uri? engineUri, CancellationToken cancellationToken)
    {
        var manifests = await SpecFiles.ManifestsAsync(spec, pinnedFiles, files, cancellationToken);
        var gates = await SpecFiles.KubeVirtGatesAsync(spec, pinnedFiles, files, cancellationToken);
        var embedded = new OperatorEmbeddedImages();
        var found = ManifestImages.WithManifestImages(spec, manifests, embedded, gates);
        if (embedded.Unread.Count > 0)
        {
            // Some images are known only from inside an operator image: read those, then find again.
            await EmbeddedImagePins.FillAsync(spec, embedded, lockFile, lockPath, mode, images, cache, cancellationToken);
            found = ManifestImages.WithManifestImages(spec, manifests, embedded, gates);
        }
        spec = spec with { Images = ChartImages.With(found, charts) };
        var engine = EngineImages.For(spec, engineUri, cache);
        try
        {
            var pinned = await Pinning.PinAsync(spec, lockFile, lockPath, mode, EngineImages.Or(engine, images.ResolveAsync), cancellationToken);
            return new PinnedImages(spec, pinned, engine);
        }
        catch
        {
            engine?.Dispose();
            throw;
        }
    }
}
