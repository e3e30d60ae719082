using System.Net;
using System.Net.Http.Headers;
using Kargo.Airgap.Oci;
using Kargo.Airgap.Registry;
using Kargo.Airgap.Registry.Http;
using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Sources;

/// <summary>
/// Files by URL (release assets, manifests): downloaded into the same content-addressed cache
/// as image blobs, hashed as they stream, checked against the spec's or the lock's sha256,
/// resumed with HTTP Range, retried on 5xx and dropped connections by the shared <see cref="HttpPipeline"/>. Redirects are followed,
/// and one to another host is said.
/// </summary>
public sealed class FileSource : IDisposable
{
    private readonly HttpClient _http;
    private readonly OciLayout _cache;

    public Action<string>? Log { get; init; }

    public FileSource(OciLayout cache, RegistryOptions options)
    {
        _cache = cache;
        _http = HttpPipeline.Create(options);
    }

    /// <summary>
    /// Downloads a URL not pinned yet (resuming an interrupted first download) and records what it
    /// served; the spec's sha256, when given, must match or nothing is kept.
    /// </summary>
    public async Task<LockedFile> ResolveAsync(SpecFile file, CancellationToken cancellationToken)
    {
        var uri = new Uri(file.Source);
        var expected = file.Sha256 is { } sha ? Digest.Parse("sha256:" + sha) : (Digest?)null;
        try
        {
            var (descriptor, _) = await _cache.IngestAsync(file.Source, expected, (offset, ct) => OpenAsync(uri, offset, ct), null, cancellationToken);
            return new LockedFile { Url = file.Source, Sha256 = descriptor.Digest.Hex, Size = descriptor.Size };
        }
        catch (DigestMismatchException e)
        {
            throw new KargoException($"{file.Source}: checksum mismatch: the spec says sha256 {file.Sha256}, the download hashes to {e.Actual.Hex}. Nothing was kept", e);
        }
    }

    /// <summary>Brings a pinned file into the cache (resuming a partial download); returns its path there.</summary>
    public async Task<string> FetchAsync(LockedFile file, CancellationToken cancellationToken)
    {
        var digest = Digest.Parse("sha256:" + file.Sha256);
        var uri = new Uri(file.Url);
        var descriptor = new Descriptor { MediaType = "application/octet-stream", Digest = digest, Size = file.Size };
        try
        {
            await _cache.WriteBlobAsync(descriptor, (offset, ct) => OpenAsync(uri, offset, ct), null, cancellationToken);
        }
        catch (DigestMismatchException e)
        {
            throw new KargoException($"{file.Url}: checksum mismatch: the lock pins sha256 {file.Sha256}, the download hashes to {e.Actual.Hex}. The file changed upstream or on the way; nothing was kept", e);
        }
        catch (SizeMismatchException e)
        {
            throw new KargoException($"{file.Url}: checksum mismatch: the lock pins sha256 {file.Sha256} of {file.Size} bytes, the server sent {e.Received}. The file changed upstream or on the way; nothing was kept", e);
        }
        return _cache.BlobPath(digest);
    }

    /// <summary>The body from an offset on, and where it really starts (0 when the server ignores Range).</summary>
    private async Task<BlobStream> OpenAsync(Uri uri, long offset, CancellationToken cancellationToken)
    {
        var response = await GetAsync(uri, offset, cancellationToken);
        var start = response.StatusCode == HttpStatusCode.PartialContent ? response.Content.Headers.ContentRange?.From ?? 0 : 0;
        return new BlobStream(new OwningStream(await response.Content.ReadAsStreamAsync(cancellationToken), response), start);
    }

    private async Task<HttpResponseMessage> GetAsync(Uri uri, long offset, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        if (offset > 0)
        {
            request.Headers.Range = new RangeHeaderValue(offset, null);
        }
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new KargoException($"cannot download {uri}: {e.Message}", e);
        }
        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && offset > 0)
        {
            response.Dispose();
            return await GetAsync(uri, 0, cancellationToken);
        }
        if (!response.IsSuccessStatusCode)
        {
            response.Dispose();
            throw new KargoException($"cannot download {uri}: the server answered {(int)response.StatusCode} {response.ReasonPhrase}; check the URL and the version in the spec");
        }
        if (response.RequestMessage?.RequestUri is { } final && !final.Host.Equals(uri.Host, StringComparison.OrdinalIgnoreCase))
        {
            Log?.Invoke($"{uri} redirected to {final.GetLeftPart(UriPartial.Authority)}");
        }
        return response;
    }

    public void Dispose() => _http.Dispose();
}
