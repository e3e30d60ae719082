using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Kargo.Airgap.Oci;
using Kargo.Airgap.Registry.Http;

namespace Kargo.Airgap.Registry;

/// <summary>
/// The pull side of the OCI distribution API: manifests and blobs, each checked, over the
/// <see cref="HttpPipeline"/> (auth, retries, scheme choice, trust).
/// </summary>
public sealed class RegistryClient : IDisposable
{
    private const int MaxManifestBytes = 4 << 20;

    private readonly RegistryOptions _options;
    private readonly HttpClient _http;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _unreachableMirrors = new(StringComparer.OrdinalIgnoreCase);

    public RegistryClient(RegistryOptions options)
    {
        _options = options;
        _http = HttpPipeline.Create(options);
    }

    /// <summary>
    /// Fetches a manifest or index by tag or digest, checking its bytes against the digest: from
    /// the first mirror of the image's registry that answers, else from upstream
    /// (<see cref="RawManifest.From"/> says which).
    /// </summary>
    public Task<RawManifest> GetManifestAsync(ImageReference reference, CancellationToken cancellationToken = default) =>
        FromMirrorsAsync(reference, candidate => GetManifestFromAsync(candidate, cancellationToken));

    /// <summary>
    /// Whether the registry of <paramref name="reference"/> (no mirrors: this exact registry) has its
    /// manifest, by tag or digest: HEAD, as containerd resolves. False on 404; any other failure is thrown.
    /// </summary>
    /// <param name="reference">The image as the registry is asked for it.</param>
    /// <param name="ns">The upstream registry, sent as <c>?ns=</c> as containerd does when it asks a mirror.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    public async Task<bool> HasManifestAsync(ImageReference reference, string? ns = null, CancellationToken cancellationToken = default)
    {
        var path = $"/v2/{reference.Repository}/manifests/{reference.ManifestReference}{(ns is null ? "" : $"?ns={Uri.EscapeDataString(ns)}")}";
        using var request = new HttpRequestMessage(HttpMethod.Head, path);
        foreach (var mediaType in MediaTypes.Manifests)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(mediaType));
        }
        using var response = await SendAsync(reference, request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
        await EnsureSuccessAsync(response, reference, "manifest", cancellationToken);
        return true;
    }

    /// <summary>Opens a blob from an offset (HTTP Range when resuming), from the first mirror that serves it, else upstream.</summary>
    public Task<BlobStream> OpenBlobAsync(ImageReference image, Digest digest, long offset, CancellationToken cancellationToken = default) =>
        FromMirrorsAsync(image, candidate => OpenBlobFromAsync(candidate, digest, offset, cancellationToken));

    /// <summary>
    /// Asks each mirror in turn, then upstream. A mirror that fails is passed over (its content is
    /// checked by digest anyway); one that cannot be reached at all is not asked again by this client.
    /// </summary>
    private async Task<T> FromMirrorsAsync<T>(ImageReference image, Func<ImageReference, Task<T>> fetch)
    {
        foreach (var (candidate, mirror) in _options.Mirrors.CandidatesFor(image))
        {
            if (mirror is null)
            {
                return await fetch(candidate);
            }
            if (_unreachableMirrors.ContainsKey(mirror.Host))
            {
                continue;
            }
            try
            {
                return await fetch(candidate);
            }
            catch (KargoException e)
            {
                if (e.InnerException is not null && Backoff.IsTransient(e.InnerException))
                {
                    _unreachableMirrors[mirror.Host] = true;
                }
                _options.MirrorLog?.Invoke($"mirror {mirror.Location} ({mirror.Origin}) did not serve {image}: {e.Message}; trying the next");
            }
        }
        throw new InvalidOperationException("the upstream is always the last candidate");
    }

    private async Task<RawManifest> GetManifestFromAsync(ImageReference reference, CancellationToken cancellationToken)
    {
        var path = $"/v2/{reference.Repository}/manifests/{reference.ManifestReference}";
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        foreach (var mediaType in MediaTypes.Manifests)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(mediaType));
        }
        using var response = await SendAsync(reference, request, cancellationToken);
        await EnsureSuccessAsync(response, reference, "manifest", cancellationToken);

        var declared = response.Content.Headers.ContentLength;
        if (declared > MaxManifestBytes)
        {
            throw new RegistryException($"{reference}: the manifest is {declared} bytes, more than the {MaxManifestBytes} a manifest may have");
        }
        var content = await ReadLimitedAsync(response.Content, MaxManifestBytes, reference, cancellationToken);
        var digest = Digest.Compute(content);
        if (reference.Digest is { } pinned && pinned != digest)
        {
            throw new RegistryException($"{reference}: the registry sent a manifest that hashes to {digest}, not the pinned {pinned}; it was altered on the way or in the registry");
        }
        if (response.Headers.TryGetValues("Docker-Content-Digest", out var values)
            && Digest.TryParse(values.FirstOrDefault(), out var header) && header.Algorithm == "sha256" && header != digest)
        {
            throw new RegistryException($"{reference}: the manifest hashes to {digest} but the registry declares {header}; refusing content that does not match");
        }
        var contentType = response.Content.Headers.ContentType?.MediaType;
        var document = ManifestDocument.Parse(content, contentType, reference.ToString());
        return new RawManifest(content, document.MediaType, digest, document) { From = reference };
    }

    private async Task<BlobStream> OpenBlobFromAsync(ImageReference image, Digest digest, long offset, CancellationToken cancellationToken)
    {
        var path = $"/v2/{image.Repository}/blobs/{digest}";
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (offset > 0)
        {
            request.Headers.Range = new RangeHeaderValue(offset, null);
        }
        var response = await SendAsync(image, request, cancellationToken, HttpCompletionOption.ResponseHeadersRead);
        try
        {
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && offset > 0)
            {
                response.Dispose();
                return await OpenBlobFromAsync(image, digest, 0, cancellationToken);
            }
            await EnsureSuccessAsync(response, image, $"blob {digest}", cancellationToken);
            var start = response.StatusCode == HttpStatusCode.PartialContent ? response.Content.Headers.ContentRange?.From ?? 0 : 0;
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            return new BlobStream(new OwningStream(stream, response), start);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sends a request to the image's registry through the pipeline (auth, retries, scheme); a
    /// relative URI is the registry's API path. <paramref name="scopes"/> are the token scopes to ask
    /// for (default: pull of the image's repository). A 401 the pipeline could not answer is thrown.
    /// </summary>
    internal async Task<HttpResponseMessage> SendAsync(ImageReference image, HttpRequestMessage request, CancellationToken cancellationToken,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead, IReadOnlyList<string>? scopes = null)
    {
        if (request.RequestUri is { IsAbsoluteUri: false } relative)
        {
            request.RequestUri = new Uri(new Uri($"https://{image.ApiHost}/"), relative);
        }
        request.Options.Set(RegistryScope.Key, new RegistryScope(image.Registry, image.Repository, scopes ?? [$"repository:{image.Repository}:pull"]));
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, completion, cancellationToken);
        }
        catch (Exception e) when (Backoff.IsTransient(e))
        {
            throw Unreachable(image, request.RequestUri!, e);
        }
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            response.Dispose();
            throw await UnauthorizedAsync(image, cancellationToken);
        }
        return response;
    }

    private RegistryException Unreachable(ImageReference image, Uri endpoint, Exception e)
    {
        // Plain HTTP is already tried for loopback and insecure hosts: there, the registry is down, not misnamed.
        var hint = endpoint.Scheme == "https" && !InsecureHosts.IsLoopback(endpoint.Host) && !_options.InsecureRegistries.Contains(image.Registry)
            ? $"; if it serves plain HTTP, name it with {string.Format(System.Globalization.CultureInfo.InvariantCulture, _options.InsecureHint, image.Registry)}"
            : "";
        return new RegistryException($"cannot reach registry {image.Registry} ({endpoint.GetLeftPart(UriPartial.Authority)}): {e.Message}. Check that it is up and reachable{hint}", null, e);
    }

    private async Task<RegistryException> UnauthorizedAsync(ImageReference image, CancellationToken cancellationToken)
    {
        var credential = await _options.Credentials.FindAsync(image.Registry, image.Repository, cancellationToken);
        var who = credential is null
            ? $"no credentials for {image.Registry} were found in {string.Join(", ", _options.Credentials.Searched)} or their credential helpers; log in with 'docker login {image.Registry}' or 'podman login {image.Registry}'"
            : $"the credentials of {credential} were refused; log in again";
        return new RegistryException($"{image}: authentication failed: {who}", HttpStatusCode.Unauthorized);
    }

    internal static async Task EnsureSuccessAsync(HttpResponseMessage response, ImageReference image, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }
        var detail = await ErrorDetailAsync(response, cancellationToken);
        var message = response.StatusCode switch
        {
            HttpStatusCode.NotFound => $"{image}: {what} not found in {image.Registry}{detail}; check the name and the tag",
            HttpStatusCode.Forbidden => $"{image}: access to {what} denied by {image.Registry}{detail}",
            _ => $"{image}: {what}: the registry answered {(int)response.StatusCode} {response.ReasonPhrase}{detail}",
        };
        throw new RegistryException(message, response.StatusCode);
    }

    /// <summary>The distribution spec's error body, as " (CODE: message)".</summary>
    private static async Task<string> ErrorDetailAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var body = await ReadLimitedAsync(response.Content, 64 << 10, null, cancellationToken);
            using var json = JsonDocument.Parse(body);
            var errors = json.RootElement.GetProperty("errors");
            var first = errors[0];
            // The registry's words become a terminal line: printable only.
            return Terminal.Printable($" ({first.GetProperty("code").GetString()}: {first.GetProperty("message").GetString()})");
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException or KargoException)
        {
            return "";
        }
    }

    private static async Task<byte[]> ReadLimitedAsync(HttpContent content, int limit, ImageReference? image, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                throw new RegistryException($"{image}: the response is larger than {limit} bytes");
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>A manifest's exact bytes, with the digest they hash to and what they parse to.</summary>
public sealed record RawManifest(byte[] Content, string MediaType, Digest Digest, ManifestDocument Document)
{
    /// <summary>Where it came from: the reference asked for, or the mirror's name for it.</summary>
    public ImageReference? From { get; init; }

    public Descriptor ToDescriptor() => new() { MediaType = MediaType, Digest = Digest, Size = Content.Length };
}
