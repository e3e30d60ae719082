using System.Net;
using Kargo.Airgap.Oci;

namespace Kargo.Airgap.Registry;

/// <summary>What pushing one image did.</summary>
/// <param name="Target">The image as pushed, HOST/REPOSITORY:TAGS.</param>
/// <param name="Uploaded">Blobs uploaded.</param>
/// <param name="BytesUploaded">Bytes of the blobs uploaded.</param>
/// <param name="Mounted">Blobs mounted from a repository this push filled.</param>
/// <param name="Present">Blobs the registry had already.</param>
/// <param name="ManifestsPut">Manifests and tags written (not those already there).</param>
/// <param name="Pruned">Set when the registry refused the original index and a pruned one (new digest) was pushed instead.</param>
public sealed record PushedImage(string Target, int Uploaded, long BytesUploaded, int Mounted, int Present, int ManifestsPut, string? Pruned = null);

/// <summary>
/// <c>kargo-offline push</c>: copies every image of an unpacked layout into an existing registry
/// (Harbor, Zot, distribution) under its upstream repository path, keeping digests, through one
/// <see cref="RegistryTarget"/> per repository. Blobs first, manifests after their blobs, an index
/// after its manifests, tags last; what is there already is not sent, so a second push transfers nothing.
/// </summary>
public sealed class RegistryPusher(RegistryClient client, LayoutCatalog catalog, string registry)
{
    /// <summary>Blobs larger than this are uploaded in chunks of this size.</summary>
    public long ChunkSize { get; init; } = 64L << 20;

    /// <summary>The "push" phase: each blob's bytes once it is in the registry (uploaded, mounted or there already).</summary>
    public IPhaseProgress? Phases { get; init; }

    private readonly Dictionary<Digest, string> _filled = [];
    private IProgress<long>? _progress;

    public async Task<IReadOnlyList<PushedImage>> PushAllAsync(Action<PushedImage>? onImage, CancellationToken cancellationToken)
    {
        var results = new List<PushedImage>();
        _progress = Phases?.Begin(PhaseNames.Push, catalog.Repositories.Sum(r => r.Blobs.Sum(d => new FileInfo(catalog.Layout.BlobPath(d)).Length)));
        foreach (var repository in catalog.Repositories)
        {
            var result = await PushAsync(repository, cancellationToken);
            onImage?.Invoke(result);
            results.Add(result);
        }
        Phases?.Complete(PhaseNames.Push);
        return results;
    }

    private async Task<PushedImage> PushAsync(CatalogRepository source, CancellationToken cancellationToken)
    {
        var name = ImageReference.Parse($"{registry}/{source.Repository}");
        var target = new RegistryTarget(client, name, _filled) { ChunkSize = ChunkSize };
        var from = ImageReference.Parse(source.Name);
        var counts = new Dictionary<BlobOutcome, int>();
        long bytes = 0;
        foreach (var digest in source.Blobs.OrderBy(d => d.Hex, StringComparer.Ordinal))
        {
            var blob = new Descriptor { MediaType = "application/octet-stream", Digest = digest, Size = new FileInfo(catalog.Layout.BlobPath(digest)).Length };
            var put = await target.PutBlobAsync(catalog.Layout, from, blob, _progress, cancellationToken);
            counts[put.Outcome] = counts.GetValueOrDefault(put.Outcome) + 1;
            bytes += put.Write.BytesTransferred;
        }
        var (manifests, replaced, pruned) = await PutManifestsAsync(target, name, source, cancellationToken);
        foreach (var (tag, manifest) in source.Tags)
        {
            var (descriptor, content) = replaced.TryGetValue(manifest.Digest, out var replacement) ? replacement : (manifest, catalog.Layout.ReadBlob(manifest.Digest));
            manifests += await target.PutManifestAsync(descriptor, content, tag, cancellationToken) ? 1 : 0;
        }
        var tags = source.Tags.Keys.Count > 0 ? ":" + string.Join(",", source.Tags.Keys) : "";
        return new PushedImage($"{name.Name}{tags}", counts.GetValueOrDefault(BlobOutcome.Copied), bytes, counts.GetValueOrDefault(BlobOutcome.Mounted), counts.GetValueOrDefault(BlobOutcome.Present), manifests, pruned);
    }

    /// <summary>
    /// Platform manifests before the indexes that list them. A registry that checks an index's
    /// manifests refuses one listing platforms the bundle left out: it gets an index of the bundled ones.
    /// </summary>
    private async Task<(int Written, Dictionary<Digest, (Descriptor, byte[])> Replaced, string? Pruned)> PutManifestsAsync(
        RegistryTarget target, ImageReference name, CatalogRepository source, CancellationToken cancellationToken)
    {
        var written = 0;
        var replaced = new Dictionary<Digest, (Descriptor, byte[])>();
        string? pruned = null;
        foreach (var manifest in source.Manifests.Values.OrderBy(m => MediaTypes.IsIndex(m.MediaType) ? 1 : 0))
        {
            var content = catalog.Layout.ReadBlob(manifest.Digest);
            try
            {
                written += await target.PutManifestAsync(manifest, content, manifest.Digest.ToString(), cancellationToken) ? 1 : 0;
            }
            catch (RegistryException e) when (e.Status == HttpStatusCode.BadRequest && MediaTypes.IsIndex(manifest.MediaType))
            {
                var kept = ManifestDocument.Parse(content, manifest.MediaType, name.ToString()).Manifests.Where(m => source.Manifests.ContainsKey(m.Digest)).Select(m => m.Digest).ToList();
                var prunedContent = ManifestDocument.PruneIndex(content, kept);
                var prunedDescriptor = manifest with { Digest = Digest.Compute(prunedContent), Size = prunedContent.Length, Annotations = null };
                written += await target.PutManifestAsync(prunedDescriptor, prunedContent, prunedDescriptor.Digest.ToString(), cancellationToken) ? 1 : 0;
                replaced[manifest.Digest] = (prunedDescriptor, prunedContent);
                pruned = $"{name.Registry} refused index {manifest.Digest} because it lists platforms the bundle does not hold; pushed an index of the bundled platforms instead, {prunedDescriptor.Digest}. Build the bundle with every platform to keep the original digest";
            }
        }
        return (written, replaced, pruned);
    }
}
