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
/// <see cref="RegistryTarget"/> per repository. Blobs first, several at once, each uploaded once and
/// mounted where another repository needs it; manifests after their blobs, an index after its
/// manifests, tags last; what is there already is not sent, so a second push transfers nothing.
/// </summary>
public sealed class RegistryPusher(RegistryClient client, LayoutCatalog catalog, string registry)
{
    /// <summary>Blobs larger than this are uploaded in chunks of this size.</summary>
    public long ChunkSize { get; init; } = 64L << 20;

    /// <summary>The "push" phase: each blob's bytes once it is in the registry (uploaded, mounted or there already).</summary>
    public IPhaseProgress? Phases { get; init; }

    /// <summary>Blobs uploaded at once.</summary>
    public int Parallelism { get; init; } = 4;

    private readonly Dictionary<Digest, string> _filled = [];

    public async Task<IReadOnlyList<PushedImage>> PushAllAsync(Action<PushedImage>? onImage, CancellationToken cancellationToken)
    {
        var repositories = catalog.Repositories.ToList();
        var progress = Phases?.Begin(PhaseNames.Push, repositories.Sum(r => r.Blobs.Sum(d => new FileInfo(catalog.Layout.BlobPath(d)).Length)));
        var pushes = repositories.Select(r => new RepositoryPush(r, new RegistryTarget(client, ImageReference.Parse($"{registry}/{r.Repository}"), _filled) { ChunkSize = ChunkSize })).ToList();
        // Each blob once, into the first repository that has it, several at once; the other repositories then find it there or mount it.
        var firsts = pushes.SelectMany(p => p.Source.Blobs.Select(digest => (Push: p, Digest: digest))).DistinctBy(x => x.Digest).ToList();
        await Parallel.ForEachAsync(firsts, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Parallelism), CancellationToken = cancellationToken },
            async (x, ct) => await x.Push.PutBlobAsync(catalog.Layout, x.Digest, progress, ct));
        var firstOf = firsts.ToLookup(x => x.Push, x => x.Digest);
        var results = new List<PushedImage>();
        foreach (var push in pushes)
        {
            foreach (var digest in push.Source.Blobs.Except(firstOf[push]).OrderBy(d => d.Hex, StringComparer.Ordinal))
            {
                await push.PutBlobAsync(catalog.Layout, digest, progress, cancellationToken);
            }
            var result = await PushManifestsAsync(push, cancellationToken);
            onImage?.Invoke(result);
            results.Add(result);
        }
        Phases?.Complete(PhaseNames.Push);
        return results;
    }

    /// <summary>One repository's push: its target, and what its blobs needed (counted from several uploads at once).</summary>
    private sealed class RepositoryPush(CatalogRepository source, RegistryTarget target)
    {
        private int _copied, _mounted, _present;
        private long _bytes;

        public CatalogRepository Source => source;
        public RegistryTarget Target => target;
        public ImageReference Name => target.Repository;

        public async Task PutBlobAsync(OciLayout layout, Digest digest, IProgress<long>? progress, CancellationToken cancellationToken)
        {
            var blob = new Descriptor { MediaType = "application/octet-stream", Digest = digest, Size = new FileInfo(layout.BlobPath(digest)).Length };
            var put = await target.PutBlobAsync(layout, ImageReference.Parse(source.Name), blob, progress, cancellationToken);
            switch (put.Outcome)
            {
                case BlobOutcome.Copied:
                    Interlocked.Increment(ref _copied);
                    break;
                case BlobOutcome.Mounted:
                    Interlocked.Increment(ref _mounted);
                    break;
                default:
                    Interlocked.Increment(ref _present);
                    break;
            }
            Interlocked.Add(ref _bytes, put.Write.BytesTransferred);
        }

        public PushedImage Result(int manifests, string? pruned)
        {
            var tags = source.Tags.Keys.Count > 0 ? ":" + string.Join(",", source.Tags.Keys) : "";
            return new PushedImage($"{Name.Name}{tags}", _copied, _bytes, _mounted, _present, manifests, pruned);
        }
    }

    private async Task<PushedImage> PushManifestsAsync(RepositoryPush push, CancellationToken cancellationToken)
    {
        var (manifests, replaced, pruned) = await PutManifestsAsync(push.Target, push.Name, push.Source, cancellationToken);
        foreach (var (tag, manifest) in push.Source.Tags)
        {
            var (descriptor, content) = replaced.TryGetValue(manifest.Digest, out var replacement) ? replacement : (manifest, catalog.Layout.ReadBlob(manifest.Digest));
            manifests += await push.Target.PutManifestAsync(descriptor, content, tag, cancellationToken) ? 1 : 0;
        }
        return push.Result(manifests, pruned);
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
