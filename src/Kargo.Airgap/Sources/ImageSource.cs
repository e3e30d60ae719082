using Kargo.Airgap.Oci;
using Kargo.Airgap.Registry;
using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Sources;

/// <summary>
/// Container images from registries: resolves tags to digests, walks indexes down to the
/// spec's platforms, and fetches manifests and blobs into the cache, each checked by digest.
/// </summary>
public sealed class ImageSource(RegistryClient registry, OciLayout cache) : IImageSource
{
    /// <summary>The annotation that keeps the original digest of an index kargo rewrote.</summary>
    public const string OriginalDigestAnnotation = "dev.kargo.image.original-digest";

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _answeredBy = new(StringComparer.Ordinal);

    /// <summary>The mirror (HOST/PATH) that resolved a reference, or null when upstream (or the cache) did.</summary>
    public string? MirrorThatResolved(string reference) => _answeredBy.GetValueOrDefault(reference);

    /// <summary>Asks the registry (or its mirror) which manifest a reference names now.</summary>
    public async Task<LockedImage> ResolveAsync(ImageReference reference, CancellationToken cancellationToken)
    {
        if (reference.Digest is { } digest && File.Exists(cache.BlobPath(digest)))
        {
            // Content named by digest never changes: the cached copy answers without a request.
            var cached = cache.ReadBlob(digest);
            var document = ManifestDocument.Parse(cached, null, reference.ToString());
            return Pin(reference, digest, document.MediaType, cached.Length);
        }
        var manifest = await registry.GetManifestAsync(reference, cancellationToken);
        cache.PutBlob(manifest.Digest, manifest.Content);
        if (manifest.From is { } from && from.Name != reference.Name)
        {
            _answeredBy[reference.ToString()] = from.Name;
        }
        return Pin(reference, manifest.Digest, manifest.MediaType, manifest.Content.Length);
    }

    private static LockedImage Pin(ImageReference reference, Digest digest, string mediaType, long size) => new()
    {
        Reference = reference.ToString(),
        Digest = digest,
        MediaType = mediaType,
        Size = size,
    };

    /// <summary>
    /// Brings an image's manifests into the cache and lists the blobs it needs. An index keeps
    /// only the manifests of <paramref name="platforms"/>; its bytes stay as published unless
    /// <paramref name="rewriteIndex"/> asks for an index that lists only those.
    /// </summary>
    public async Task<ImagePlan> PlanAsync(ImageReference reference, LockedImage pin, IReadOnlyList<Platform> platforms, bool rewriteIndex, CancellationToken cancellationToken)
    {
        var pinned = reference.WithDigest(pin.Digest);
        var top = new Descriptor { MediaType = pin.MediaType, Digest = pin.Digest, Size = pin.Size };
        var graph = await ImageWalker.WalkAsync(this, pinned, top, child => child.Platform is { } p && platforms.Any(want => want.Matches(p)), cancellationToken);
        if (!graph.Top.Document.IsIndex)
        {
            return new ImagePlan(pinned, top, platforms, [top], graph.Blobs);
        }
        var chosen = graph.Manifests.Skip(1).Select(m => m.Descriptor).ToList();
        if (chosen.Count == 0)
        {
            var offered = graph.NotFollowed.Select(m => m.Platform?.ToString()).OfType<string>().Distinct();
            throw new KargoException($"{reference}: the image has no manifest for {string.Join(", ", platforms)}; it offers {string.Join(", ", offered)}. Change spec.platforms or pick another image");
        }
        if (graph.Manifests.Skip(1).FirstOrDefault(m => m.Document.IsIndex) is { } nested)
        {
            throw new KargoException($"{reference}: index {nested.Descriptor.Digest} nests another index; nested indexes are not supported");
        }
        if (rewriteIndex && graph.NotFollowed.Count > 0)
        {
            top = RewriteIndex(graph.Top.Content, top, chosen);
        }
        return new ImagePlan(pinned, top, [.. chosen.Select(c => c.Platform!).Distinct()], [top, .. chosen], graph.Blobs);
    }

    public Task<BlobStream> OpenBlobAsync(ImageReference image, Descriptor blob, long offset, CancellationToken cancellationToken) =>
        registry.OpenBlobAsync(image, blob.Digest, offset, cancellationToken);

    /// <summary>A manifest from the cache when it holds it (content named by digest never changes), else from the registry into the cache.</summary>
    public async Task<byte[]> ReadManifestAsync(ImageReference image, Descriptor manifest, CancellationToken cancellationToken)
    {
        if (cache.Contains(manifest.Digest, manifest.Size))
        {
            return await File.ReadAllBytesAsync(cache.BlobPath(manifest.Digest), cancellationToken);
        }
        var fetched = await registry.GetManifestAsync(image.WithDigest(manifest.Digest), cancellationToken);
        if (fetched.Content.Length != manifest.Size)
        {
            throw new KargoException($"{image}: manifest {manifest.Digest} is {fetched.Content.Length} bytes, but it was pinned as {manifest.Size}");
        }
        cache.PutBlob(fetched.Digest, fetched.Content);
        return fetched.Content;
    }

    private Descriptor RewriteIndex(byte[] original, Descriptor top, IReadOnlyList<Descriptor> kept)
    {
        var bytes = ManifestDocument.PruneIndex(original, kept.Select(k => k.Digest));
        var digest = Digest.Compute(bytes);
        cache.PutBlob(digest, bytes);
        return new Descriptor
        {
            MediaType = top.MediaType,
            Digest = digest,
            Size = bytes.Length,
            Annotations = new() { [OriginalDigestAnnotation] = top.Digest.ToString() },
        };
    }
}
