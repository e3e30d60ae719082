using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Kargo.Airgap.Oci;
using Kargo.Airgap.Registry;
using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Sources;

/// <summary>
/// Files by URL (release assets, manifests): downloaded into the same content-addressed cache
/// as image blobs, hashed as they stream, checked against the spec's or the lock's sha256,
/// resumed with HTTP Range, retried on 5xx and dropped connections. Redirects are followed,
/// and one to another host is said.
/// </summary>
public sealed class FileSource : IDisposable
{
    private const int BufferSize = 1 << 20;
    private readonly HttpClient _http;
    private readonly OciLayout _cache;
    private readonly int _attempts;

    public Action<string>? Log { get; init; }

    public FileSource(OciLayout cache, RegistryOptions options)
    {
        _cache = cache;
        _attempts = options.MaxAttempts;
        var trust = new TlsTrust(options.CaFiles);
        _http = new HttpClient(new SocketsHttpHandler
        {
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(30),
            SslOptions = new System.Net.Security.SslClientAuthenticationOptions { RemoteCertificateValidationCallback = trust.Validate },
        })
        { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("kargo-airgap");
    }

    /// <summary>Downloads a URL not pinned yet, records what it served; checks the spec's sha256 if given.</summary>
    public async Task<LockedFile> ResolveAsync(SpecFile file, CancellationToken cancellationToken)
    {
        var uri = new Uri(file.Source);
        var ingest = Path.Combine(_cache.Root, "ingest");
        Directory.CreateDirectory(ingest);
        var temp = Path.Combine(ingest, $"download-{Guid.NewGuid():N}.partial");
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long size;
            await using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize))
            {
                using var response = await GetAsync(uri, 0, cancellationToken);
                size = await CopyAsync(response, output, hash, cancellationToken);
            }
            var sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (file.Sha256 is { } expected && expected != sha256)
            {
                throw new KargoException($"{file.Source}: checksum mismatch: the spec says sha256 {expected}, the download hashes to {sha256}. Nothing was kept");
            }
            var final = _cache.BlobPath(Digest.Parse("sha256:" + sha256));
            File.Move(temp, final, overwrite: true);
            return new LockedFile { Url = file.Source, Sha256 = sha256, Size = size };
        }
        finally
        {
            File.Delete(temp);
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
            await _cache.WriteBlobAsync(descriptor, async (offset, ct) =>
            {
                var response = await GetAsync(uri, offset, ct);
                var start = response.StatusCode == HttpStatusCode.PartialContent ? response.Content.Headers.ContentRange?.From ?? 0 : 0;
                return new BlobStream(new OwningStream(await response.Content.ReadAsStreamAsync(ct), response), start);
            }, null, cancellationToken);
        }
        catch (DigestMismatchException e)
        {
            throw new KargoException($"{file.Url}: checksum mismatch: the lock pins sha256 {file.Sha256}, the download hashes to {e.Actual.Hex}. The file changed upstream or on the way; nothing was kept", e);
        }
        return _cache.BlobPath(digest);
    }

    private async Task<HttpResponseMessage> GetAsync(Uri uri, long offset, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
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
            catch (HttpRequestException) when (attempt < _attempts)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250 << (attempt - 1)), cancellationToken);
                continue;
            }
            catch (HttpRequestException e)
            {
                throw new KargoException($"cannot download {uri}: {e.Message}", e);
            }
            if (((int)response.StatusCode >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests) && attempt < _attempts)
            {
                response.Dispose();
                await Task.Delay(TimeSpan.FromMilliseconds(250 << (attempt - 1)), cancellationToken);
                continue;
            }
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && offset > 0)
            {
                response.Dispose();
                offset = 0;
                continue;
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
    }

    private static async Task<long> CopyAsync(HttpResponseMessage response, Stream output, IncrementalHash hash, CancellationToken cancellationToken)
    {
        await using var input = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        long total = 0;
        try
        {
            int read;
            while ((read = await input.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                total += read;
            }
            return total;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void Dispose() => _http.Dispose();
}
