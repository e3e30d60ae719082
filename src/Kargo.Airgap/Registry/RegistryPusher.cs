using System.Net;
using System.Net.Http.Headers;
using Kargo.Airgap.Oci;
using Kargo.Airgap.Registry.Http;

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
/// (Harbor, Zot, distribution) under its upstream repository path, keeping digests. For each blob:
/// is it there already (HEAD), can it be mounted from a repository this push filled, else upload
/// it (in one PUT, or in PATCH chunks when large). Manifests go after their blobs, an index after
/// its manifests, and a tag is written only when it does not already name the same digest, so a
/// second push transfers nothing.
/// </summary>
public sealed class RegistryPusher(RegistryClient client, LayoutCatalog catalog, string registry)
{
    /// <summary>Blobs larger than this are uploaded in chunks of this size.</summary>
    public long ChunkSize { get; init; } = 64L << 20;

    /// <summary>The "push" phase: each blob's bytes once it is in the registry (uploaded, mounted or there already).</summary>
    public IPhaseProgress? Phases { get; init; }

    private readonly Dictionary<Digest, string> _pushedIn = [];
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
        var target = ImageReference.Parse($"{registry}/{source.Repository}");
        int uploaded = 0, mounted = 0, present = 0, manifests = 0;
        long bytes = 0;
        foreach (var digest in source.Blobs.OrderBy(d => d.Hex, StringComparer.Ordinal))
        {
            var size = new FileInfo(catalog.Layout.BlobPath(digest)).Length;
            switch (await PushBlobAsync(target, digest, size, cancellationToken))
            {
                case BlobOutcome.Present:
                    present++;
                    break;
                case BlobOutcome.Mounted:
                    mounted++;
                    break;
                default:
                    uploaded++;
                    bytes += size;
                    break;
            }
            _pushedIn[digest] = target.Repository;
            _progress?.Report(size);
        }
        // Platform manifests before the indexes that list them; tags last.
        var replaced = new Dictionary<Digest, (Descriptor Descriptor, byte[] Content)>();
        string? pruned = null;
        foreach (var manifest in source.Manifests.Values.OrderBy(m => MediaTypes.IsIndex(m.MediaType) ? 1 : 0))
        {
            var content = catalog.Layout.ReadBlob(manifest.Digest);
            try
            {
                manifests += await PutManifestAsync(target, manifest, content, manifest.Digest.ToString(), cancellationToken) ? 1 : 0;
            }
            catch (RegistryException e) when (e.Status == HttpStatusCode.BadRequest && MediaTypes.IsIndex(manifest.MediaType))
            {
                // Registries that check an index's manifests refuse one listing platforms the bundle left out.
                var kept = ManifestDocument.Parse(content, manifest.MediaType, target.ToString()).Manifests.Where(m => source.Manifests.ContainsKey(m.Digest)).Select(m => m.Digest).ToList();
                var prunedContent = ManifestDocument.PruneIndex(content, kept);
                var prunedDescriptor = manifest with { Digest = Digest.Compute(prunedContent), Size = prunedContent.Length, Annotations = null };
                manifests += await PutManifestAsync(target, prunedDescriptor, prunedContent, prunedDescriptor.Digest.ToString(), cancellationToken) ? 1 : 0;
                replaced[manifest.Digest] = (prunedDescriptor, prunedContent);
                pruned = $"{target.Registry} refused index {manifest.Digest} because it lists platforms the bundle does not hold; pushed an index of the bundled platforms instead, {prunedDescriptor.Digest}. Build the bundle with every platform to keep the original digest";
            }
        }
        foreach (var (tag, manifest) in source.Tags)
        {
            var (descriptor, content) = replaced.TryGetValue(manifest.Digest, out var replacement) ? replacement : (manifest, catalog.Layout.ReadBlob(manifest.Digest));
            manifests += await PutManifestAsync(target, descriptor, content, tag, cancellationToken) ? 1 : 0;
        }
        var tags = source.Tags.Keys.Count > 0 ? ":" + string.Join(",", source.Tags.Keys) : "";
        return new PushedImage($"{target.Name}{tags}", uploaded, bytes, mounted, present, manifests, pruned);
    }

    private enum BlobOutcome { Present, Mounted, Uploaded }

    private async Task<BlobOutcome> PushBlobAsync(ImageReference target, Digest digest, long size, CancellationToken cancellationToken)
    {
        var pushScope = new[] { $"repository:{target.Repository}:pull,push" };
        using (var head = await client.SendAsync(target, new HttpRequestMessage(HttpMethod.Head, $"/v2/{target.Repository}/blobs/{digest}"), cancellationToken, scopes: pushScope))
        {
            if (head.IsSuccessStatusCode)
            {
                return BlobOutcome.Present;
            }
        }

        var path = $"/v2/{target.Repository}/blobs/uploads/";
        var scopes = pushScope;
        if (_pushedIn.TryGetValue(digest, out var from) && from != target.Repository)
        {
            path += $"?mount={digest}&from={Uri.EscapeDataString(from)}";
            scopes = [pushScope[0], $"repository:{from}:pull"];
        }
        using var start = await client.SendAsync(target, new HttpRequestMessage(HttpMethod.Post, path), cancellationToken, scopes: scopes);
        if (start.StatusCode == HttpStatusCode.Created)
        {
            return BlobOutcome.Mounted;
        }
        await RegistryClient.EnsureSuccessAsync(start, target, $"upload of blob {digest}", cancellationToken);
        var location = Location(target, start);
        var file = catalog.Layout.BlobPath(digest);
        if (size > ChunkSize)
        {
            for (long offset = 0; offset < size; offset += ChunkSize)
            {
                var length = Math.Min(ChunkSize, size - offset);
                var chunkStart = offset;
                var uri = location;
                using var patch = await client.SendAsync(target, new HttpRequestMessage(HttpMethod.Patch, uri)
                {
                    Content = new FileRangeContent(file, chunkStart, length, sayRange: true),
                }, cancellationToken, scopes: pushScope);
                await RegistryClient.EnsureSuccessAsync(patch, target, $"chunk {chunkStart}-{chunkStart + length - 1} of blob {digest}", cancellationToken);
                location = Location(target, patch);
            }
            using var close = await client.SendAsync(target, new HttpRequestMessage(HttpMethod.Put, WithDigest(location, digest)), cancellationToken, scopes: pushScope);
            await RegistryClient.EnsureSuccessAsync(close, target, $"blob {digest}", cancellationToken);
        }
        else
        {
            var uri = WithDigest(location, digest);
            using var put = await client.SendAsync(target, new HttpRequestMessage(HttpMethod.Put, uri) { Content = new FileRangeContent(file, 0, size, sayRange: false) }, cancellationToken, scopes: pushScope);
            await RegistryClient.EnsureSuccessAsync(put, target, $"blob {digest}", cancellationToken);
        }
        return BlobOutcome.Uploaded;
    }

    /// <summary>PUTs a manifest unless the reference already names that digest; true when it wrote.</summary>
    private async Task<bool> PutManifestAsync(ImageReference target, Descriptor manifest, byte[] bytes, string reference, CancellationToken cancellationToken)
    {
        var pushScope = new[] { $"repository:{target.Repository}:pull,push" };
        var path = $"/v2/{target.Repository}/manifests/{reference}";
        var request = new HttpRequestMessage(HttpMethod.Head, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(manifest.MediaType));
        using (var head = await client.SendAsync(target, request, cancellationToken, scopes: pushScope))
        {
            if (head.IsSuccessStatusCode && head.Headers.TryGetValues("Docker-Content-Digest", out var values) && values.FirstOrDefault() == manifest.Digest.ToString())
            {
                return false;
            }
        }
        using var put = await client.SendAsync(target, new HttpRequestMessage(HttpMethod.Put, path)
        {
            Content = new ByteArrayContent(bytes) { Headers = { ContentType = new MediaTypeHeaderValue(manifest.MediaType) } },
        }, cancellationToken, scopes: pushScope);
        await RegistryClient.EnsureSuccessAsync(put, target, $"manifest {reference}", cancellationToken);
        return true;
    }

    /// <summary>Where the upload goes on; a relative Location is on the host that answered.</summary>
    private static Uri Location(ImageReference target, HttpResponseMessage response)
    {
        var location = response.Headers.Location ?? throw new RegistryException($"{target.Registry} answered an upload without a Location");
        return location.IsAbsoluteUri ? location : new Uri(response.RequestMessage!.RequestUri!, location);
    }

    private static Uri WithDigest(Uri location, Digest digest) =>
        new($"{location}{(string.IsNullOrEmpty(location.Query) ? "?" : "&")}digest={Uri.EscapeDataString(digest.ToString())}");
}
