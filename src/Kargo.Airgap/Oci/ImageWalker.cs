namespace Kargo.Airgap.Oci;

/// <summary>One manifest or index met on a walk: its descriptor, exact bytes and parsed form.</summary>
public sealed record WalkedManifest(Descriptor Descriptor, byte[] Content, ManifestDocument Document);

/// <summary>
/// An image as one walk found it: the top manifest first, then every manifest an index led to that
/// the walk followed, and the blobs (configs, layers) of those manifests, each once.
/// </summary>
public sealed record ImageGraph(IReadOnlyList<WalkedManifest> Manifests, IReadOnlyList<Descriptor> Blobs, IReadOnlyList<Descriptor> NotFollowed)
{
    public WalkedManifest Top => Manifests[0];

    /// <summary>The platform manifests reached (not indexes).</summary>
    public IEnumerable<WalkedManifest> Images => Manifests.Where(m => !m.Document.IsIndex);
}

/// <summary>
/// The one walk of an image's graph, shared by build (registry to cache), push, load, serve and
/// the layout catalog: from the top manifest down through indexes (nested ones too), keeping an
/// index's entries that <c>follow</c> accepts (a platform choice, or "present in this layout").
/// </summary>
public static class ImageWalker
{
    public static async Task<ImageGraph> WalkAsync(IImageSource source, ImageReference image, Descriptor top, Func<Descriptor, bool> follow, CancellationToken cancellationToken)
    {
        var manifests = new List<WalkedManifest>();
        var blobs = new List<Descriptor>();
        var notFollowed = new List<Descriptor>();
        var seen = new HashSet<Digest>();
        var pending = new Queue<Descriptor>([top]);
        while (pending.TryDequeue(out var descriptor))
        {
            if (!seen.Add(descriptor.Digest))
            {
                continue;
            }
            var content = await source.ReadManifestAsync(image, descriptor, cancellationToken);
            var document = ManifestDocument.Parse(content, descriptor.MediaType, $"{image} ({descriptor.Digest})");
            manifests.Add(new WalkedManifest(descriptor, content, document));
            foreach (var child in document.Manifests)
            {
                if (follow(child))
                {
                    pending.Enqueue(child);
                }
                else
                {
                    notFollowed.Add(child);
                }
            }
            blobs.AddRange(document.Blobs);
        }
        return new ImageGraph(manifests, [.. blobs.DistinctBy(b => b.Digest)], notFollowed);
    }
}
