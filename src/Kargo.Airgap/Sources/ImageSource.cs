using Kargo.Airgap.Oci;
using Kargo.Airgap.Registry;
using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Sources;

/// <summary>
/// Container images from registries: resolves tags to digests, walks indexes down to the
/// spec's platforms, and fetches manifests and blobs into the cache, each checked by digest.
/// </summary>
public sealed class ImageSource(RegistryClient registry, OciLayout cache)
{
    /// <summary>The annotation that keeps the original digest of an index kargo rewrote.</summary>
    public const string OriginalDigestAnnotation = "dev.kargo.image.original-digest";

    /// <summary>Asks the registry which manifest a reference names now.</summary>
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
        var (content, document) = await ManifestAsync(pinned, top, cancellationToken);
        if (!document.IsIndex)
        {
            return new ImagePlan(pinned, top, platforms, [top], [.. document.Blobs]);
        }

        var chosen = document.Manifests.Where(m => m.Platform is { } p && platforms.Any(want => want.Matches(p))).ToList();
        if (chosen.Count == 0)
        {
            var offered = document.Manifests.Select(m => m.Platform?.ToString()).OfType<string>().Distinct();
            throw new KargoException($"{reference}: the image has no manifest for {string.Join(", ", platforms)}; it offers {string.Join(", ", offered)}. Change spec.platforms or pick another image");
        }
        var manifests = new List<Descriptor>();
        var blobs = new List<Descriptor>();
        foreach (var child in chosen)
        {
            var (_, childDocument) = await ManifestAsync(pinned, child, cancellationToken);
            if (childDocument.IsIndex)
            {
                throw new KargoException($"{reference}: index {child.Digest} nests another index; nested indexes are not supported");
            }
            manifests.Add(child);
            blobs.AddRange(childDocument.Blobs);
        }
        if (rewriteIndex && chosen.Count < document.Manifests.Count)
        {
            top = RewriteIndex(content, top, chosen);
        }
        manifests.Insert(0, top);
        return new ImagePlan(pinned, top, [.. chosen.Select(c => c.Platform!).Distinct()], manifests, [.. blobs.DistinctBy(b => b.Digest)]);
    }

    /// <summary>Fetches one blob into the cache unless it is there, resuming a partial download.</summary>
    public Task<BlobWriteResult> FetchBlobAsync(ImageReference image, Descriptor blob, IProgress<long>? progress, CancellationToken cancellationToken) =>
        cache.WriteBlobAsync(blob, (offset, ct) => registry.OpenBlobAsync(image, blob.Digest, offset, ct), progress, cancellationToken);

    private async Task<(byte[] Content, ManifestDocument Document)> ManifestAsync(ImageReference image, Descriptor descriptor, CancellationToken cancellationToken)
    {
        if (cache.Contains(descriptor.Digest, descriptor.Size))
        {
            var cached = cache.ReadBlob(descriptor.Digest);
            return (cached, ManifestDocument.Parse(cached, descriptor.MediaType, $"{image} ({descriptor.Digest})"));
        }
        var manifest = await registry.GetManifestAsync(image.WithDigest(descriptor.Digest), cancellationToken);
        if (manifest.Content.Length != descriptor.Size)
        {
            throw new KargoException($"{image}: manifest {descriptor.Digest} is {manifest.Content.Length} bytes, but it was pinned as {descriptor.Size}");
        }
        cache.PutBlob(manifest.Digest, manifest.Content);
        return (manifest.Content, manifest.Document);
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
