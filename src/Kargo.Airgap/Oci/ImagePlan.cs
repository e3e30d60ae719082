
namespace Kargo.Airgap.Oci;

/// <summary>
/// One image ready to go into a bundle: its manifests are in the cache; <see cref="Blobs"/>
/// names the config and layer blobs it still needs there.
/// </summary>
/// <param name="Reference">The pinned reference (tag kept, digest set).</param>
/// <param name="Top">What index.json points at: the manifest, or the (original or rewritten) index.</param>
/// <param name="Platforms">The platforms kept; for a single-platform manifest, as the spec asked.</param>
/// <param name="Manifests">Every manifest and index blob of the image, the top one first.</param>
/// <param name="Blobs">Config and layer blobs, each once.</param>
public sealed record ImagePlan(
    ImageReference Reference,
    Descriptor Top,
    IReadOnlyList<Platform> Platforms,
    IReadOnlyList<Descriptor> Manifests,
    IReadOnlyList<Descriptor> Blobs)
{
    /// <summary>All bytes of the image, counting each blob once.</summary>
    public long Size => Manifests.Concat(Blobs).DistinctBy(d => d.Digest).Sum(d => d.Size);
}
