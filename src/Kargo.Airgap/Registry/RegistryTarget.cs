using System.Net;
using System.Net.Http.Headers;
using Kargo.Airgap.Oci;
using Kargo.Airgap.Registry.Http;

namespace Kargo.Airgap.Registry;

/// <summary>
/// One repository of a registry as an image target. For each blob: is it there already (HEAD), can
/// it be mounted from another repository this session filled, else upload it (in one PUT, or in
/// PATCH chunks when large). A manifest is written only when the reference does not already name it.
/// </summary>
/// <param name="client">The registry client.</param>
/// <param name="repository">The target, HOST/REPOSITORY.</param>
/// <param name="filled">Which repository of this registry each blob went to in this session: the mount sources, shared by the session's targets.</param>
public sealed class RegistryTarget(RegistryClient client, ImageReference repository, Dictionary<Digest, string> filled) : IImageTarget
{
    /// <summary>The target, HOST/REPOSITORY.</summary>
    public ImageReference Repository => repository;

    /// <summary>Blobs larger than this are uploaded in chunks of this size.</summary>
    public long ChunkSize { get; init; } = 64L << 20;

    private string[] PushScope => [$"repository:{repository.Repository}:pull,push"];

    public async Task<BlobPut> PutBlobAsync(IImageSource source, ImageReference from, Descriptor blob, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var outcome = await PutAsync(source, from, blob, cancellationToken);
        lock (filled)
        {
            filled[blob.Digest] = repository.Repository;
        }
        progress?.Report(blob.Size);
        return new BlobPut(outcome, outcome == BlobOutcome.Copied ? new BlobWriteResult(blob.Size, 0) : default);
    }

    private async Task<BlobOutcome> PutAsync(IImageSource source, ImageReference from, Descriptor blob, CancellationToken cancellationToken)
    {
        using (var head = await client.SendAsync(repository, new HttpRequestMessage(HttpMethod.Head, $"/v2/{repository.Repository}/blobs/{blob.Digest}"), cancellationToken, scopes: PushScope))
        {
            if (head.IsSuccessStatusCode)
            {
                return BlobOutcome.Present;
            }
        }
        var path = $"/v2/{repository.Repository}/blobs/uploads/";
        var scopes = PushScope;
        string? mountFrom;
        lock (filled)
        {
            mountFrom = filled.GetValueOrDefault(blob.Digest);
        }
        if (mountFrom is not null && mountFrom != repository.Repository)
        {
            path += $"?mount={blob.Digest}&from={Uri.EscapeDataString(mountFrom)}";
            scopes = [.. PushScope, $"repository:{mountFrom}:pull"];
        }
        using var start = await client.SendAsync(repository, new HttpRequestMessage(HttpMethod.Post, path), cancellationToken, scopes: scopes);
        if (start.StatusCode == HttpStatusCode.Created)
        {
            return BlobOutcome.Mounted;
        }
        await RegistryClient.EnsureSuccessAsync(start, repository, $"upload of blob {blob.Digest}", cancellationToken);
        await UploadAsync(Location(start), source, from, blob, cancellationToken);
        return BlobOutcome.Copied;
    }

    private async Task UploadAsync(Uri location, IImageSource source, ImageReference from, Descriptor blob, CancellationToken cancellationToken)
    {
        if (blob.Size <= ChunkSize)
        {
            using var put = await client.SendAsync(repository, new HttpRequestMessage(HttpMethod.Put, WithDigest(location, blob.Digest))
            {
                Content = new BlobRangeContent(source, from, blob, 0, blob.Size, sayRange: false),
            }, cancellationToken, scopes: PushScope);
            await RegistryClient.EnsureSuccessAsync(put, repository, $"blob {blob.Digest}", cancellationToken);
            return;
        }
        for (long offset = 0; offset < blob.Size; offset += ChunkSize)
        {
            var length = Math.Min(ChunkSize, blob.Size - offset);
            using var patch = await client.SendAsync(repository, new HttpRequestMessage(HttpMethod.Patch, location)
            {
                Content = new BlobRangeContent(source, from, blob, offset, length, sayRange: true),
            }, cancellationToken, scopes: PushScope);
            await RegistryClient.EnsureSuccessAsync(patch, repository, $"chunk {offset}-{offset + length - 1} of blob {blob.Digest}", cancellationToken);
            location = Location(patch);
        }
        using var close = await client.SendAsync(repository, new HttpRequestMessage(HttpMethod.Put, WithDigest(location, blob.Digest)), cancellationToken, scopes: PushScope);
        await RegistryClient.EnsureSuccessAsync(close, repository, $"blob {blob.Digest}", cancellationToken);
    }

    public async Task<bool> PutManifestAsync(Descriptor manifest, byte[] content, string reference, CancellationToken cancellationToken)
    {
        var path = $"/v2/{repository.Repository}/manifests/{reference}";
        var request = new HttpRequestMessage(HttpMethod.Head, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(manifest.MediaType));
        using (var head = await client.SendAsync(repository, request, cancellationToken, scopes: PushScope))
        {
            if (head.IsSuccessStatusCode && head.Headers.TryGetValues("Docker-Content-Digest", out var values) && values.FirstOrDefault() == manifest.Digest.ToString())
            {
                return false;
            }
        }
        using var put = await client.SendAsync(repository, new HttpRequestMessage(HttpMethod.Put, path)
        {
            Content = new ByteArrayContent(content) { Headers = { ContentType = new MediaTypeHeaderValue(manifest.MediaType) } },
        }, cancellationToken, scopes: PushScope);
        await RegistryClient.EnsureSuccessAsync(put, repository, $"manifest {reference}", cancellationToken);
        return true;
    }

    /// <summary>Where the upload goes on; a relative Location is on the host that answered.</summary>
    private Uri Location(HttpResponseMessage response)
    {
        var location = response.Headers.Location ?? throw new RegistryException($"{repository.Registry} answered an upload without a Location");
        return location.IsAbsoluteUri ? location : new Uri(response.RequestMessage!.RequestUri!, location);
    }

    private static Uri WithDigest(Uri location, Digest digest) =>
        new($"{location}{(string.IsNullOrEmpty(location.Query) ? "?" : "&")}digest={Uri.EscapeDataString(digest.ToString())}");
}
