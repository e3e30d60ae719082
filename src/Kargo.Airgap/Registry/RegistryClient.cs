using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Kargo.Airgap.Oci;

namespace Kargo.Airgap.Registry;

/// <summary>
/// The pull side of the OCI distribution API: manifests and blobs, with anonymous, bearer-token
/// and basic auth, custom CAs, plain HTTP where allowed, and retries with backoff.
/// </summary>
public sealed class RegistryClient : IDisposable
{
    private const int MaxManifestBytes = 4 << 20;

    private readonly RegistryOptions _options;
    private readonly HttpClient _verifying;
    private readonly HttpClient _unverified;
    private readonly TlsTrust _trust;
    private readonly ConcurrentDictionary<string, Task<Uri>> _endpoints = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, AuthenticationHeaderValue> _authorizations = new();

    public RegistryClient(RegistryOptions options)
    {
        _options = options;
        _trust = new TlsTrust(options.CaFiles);
        _verifying = CreateClient(_trust.Validate);
        _unverified = CreateClient((_, _, _, _) => true);
    }

    private static HttpClient CreateClient(RemoteCertificateValidationCallback validate)
    {
        var handler = new SocketsHttpHandler
        {
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(30),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = validate },
        };
        var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.ParseAdd($"kargo-airgap/{typeof(RegistryClient).Assembly.GetName().Version?.ToString(3)}");
        return client;
    }

    /// <summary>Fetches a manifest or index by tag or digest, checking its bytes against the digest.</summary>
    public async Task<RawManifest> GetManifestAsync(ImageReference reference, CancellationToken cancellationToken = default)
    {
        var path = $"/v2/{reference.Repository}/manifests/{reference.ManifestReference}";
        using var response = await SendAsync(reference, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, path);
            foreach (var mediaType in MediaTypes.Manifests)
            {
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(mediaType));
            }
            return request;
        }, cancellationToken);
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
        return new RawManifest(content, document.MediaType, digest, document);
    }

    /// <summary>Opens a blob from an offset, using HTTP Range when resuming.</summary>
    public async Task<BlobStream> OpenBlobAsync(ImageReference image, Digest digest, long offset, CancellationToken cancellationToken = default)
    {
        var path = $"/v2/{image.Repository}/blobs/{digest}";
        var response = await SendAsync(image, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, path);
            if (offset > 0)
            {
                request.Headers.Range = new RangeHeaderValue(offset, null);
            }
            return request;
        }, cancellationToken, HttpCompletionOption.ResponseHeadersRead);
        try
        {
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && offset > 0)
            {
                response.Dispose();
                return await OpenBlobAsync(image, digest, 0, cancellationToken);
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
    /// Sends a request to the image's registry, answering auth challenges and retrying transient
    /// failures. <paramref name="scopes"/> are the token scopes to ask for (default: pull of the image's repository).
    /// </summary>
    internal async Task<HttpResponseMessage> SendAsync(ImageReference image, Func<HttpRequestMessage> create, CancellationToken cancellationToken,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead, IReadOnlyList<string>? scopes = null)
    {
        scopes ??= [$"repository:{image.Repository}:pull"];
        var endpoint = await EndpointAsync(image.Registry, cancellationToken);
        var client = _options.InsecureRegistries.Contains(image.Registry) ? _unverified : _verifying;
        var scopeKey = $"{image.Registry} {string.Join(' ', scopes)}";
        var challenged = false;
        while (true)
        {
            var response = await SendWithRetriesAsync(client, endpoint, image, create, scopeKey, completion, cancellationToken);
            if (response.StatusCode != HttpStatusCode.Unauthorized || challenged)
            {
                if (response.StatusCode == HttpStatusCode.Unauthorized)
                {
                    response.Dispose();
                    throw Unauthorized(image);
                }
                return response;
            }
            challenged = true;
            var challenge = AuthChallenge.From(response.Headers);
            response.Dispose();
            _authorizations[scopeKey] = await AuthorizeAsync(client, image, challenge, scopes, cancellationToken);
        }
    }

    private async Task<HttpResponseMessage> SendWithRetriesAsync(HttpClient client, Uri endpoint, ImageReference image, Func<HttpRequestMessage> create,
        string scopeKey, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var request = create();
            request.RequestUri = new Uri(endpoint, request.RequestUri!);
            if (_authorizations.TryGetValue(scopeKey, out var authorization))
            {
                request.Headers.Authorization = authorization;
            }
            HttpResponseMessage response;
            try
            {
                response = await client.SendAsync(request, completion, cancellationToken);
            }
            catch (Exception e) when (e is HttpRequestException or IOException && attempt < _options.MaxAttempts)
            {
                await BackoffAsync(attempt, cancellationToken);
                continue;
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                // Plain HTTP is already tried for loopback and insecure hosts: there, the registry is down, not misnamed.
                var hint = endpoint.Scheme == "https" && !IsLoopback(endpoint.Host) && !_options.InsecureRegistries.Contains(image.Registry)
                    ? $"; if it serves plain HTTP, name it with {string.Format(System.Globalization.CultureInfo.InvariantCulture, _options.InsecureHint, image.Registry)}"
                    : "";
                throw new RegistryException($"cannot reach registry {image.Registry} ({endpoint.GetLeftPart(UriPartial.Authority)}): {e.Message}. Check that it is up and reachable{hint}", null, e);
            }
            var status = (int)response.StatusCode;
            if ((status >= 500 || status == 429) && attempt < _options.MaxAttempts)
            {
                response.Dispose();
                await BackoffAsync(attempt, cancellationToken);
                continue;
            }
            return response;
        }
    }

    private Task BackoffAsync(int attempt, CancellationToken cancellationToken) =>
        Task.Delay(_options.FirstRetryDelay * (1 << (attempt - 1)), cancellationToken);

    private async Task<AuthenticationHeaderValue> AuthorizeAsync(HttpClient client, ImageReference image, AuthChallenge? challenge, IReadOnlyList<string> scopes, CancellationToken cancellationToken)
    {
        var credential = _options.Credentials.Find(image.Registry);
        if (challenge is { IsBearer: true } && challenge["realm"] is { } realm)
        {
            return new AuthenticationHeaderValue("Bearer", await FetchTokenAsync(client, image, challenge, realm, credential, scopes, cancellationToken));
        }
        if (challenge is { IsBasic: true } && credential is not null)
        {
            return Basic(credential);
        }
        throw Unauthorized(image);
    }

    private async Task<string> FetchTokenAsync(HttpClient client, ImageReference image, AuthChallenge challenge, string realm, Credential? credential,
        IReadOnlyList<string> scopes, CancellationToken cancellationToken)
    {
        var query = new StringBuilder("?").AppendJoin('&', scopes.Select(scope => "scope=" + Uri.EscapeDataString(scope)));
        if (challenge["service"] is { } service)
        {
            query.Append("&service=").Append(Uri.EscapeDataString(service));
        }
        if (!Uri.TryCreate(realm, UriKind.Absolute, out var realmUri) || realmUri.Scheme is not ("https" or "http"))
        {
            throw new RegistryException($"{image.Registry} names a token realm '{realm}' that is not an http(s) URL");
        }
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(realmUri.GetLeftPart(UriPartial.Path) + query));
        if (credential is not null)
        {
            request.Headers.Authorization = Basic(credential);
        }
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new RegistryException($"cannot reach the token service of {image.Registry} at {realmUri.GetLeftPart(UriPartial.Authority)}: {e.Message}", null, e);
        }
        using (response)
        {
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                throw Unauthorized(image);
            }
            if (!response.IsSuccessStatusCode)
            {
                throw new RegistryException($"the token service of {image.Registry} answered {(int)response.StatusCode} {response.ReasonPhrase}", response.StatusCode);
            }
            using var json = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(cancellationToken));
            foreach (var name in new[] { "token", "access_token" })
            {
                if (json.RootElement.TryGetProperty(name, out var token) && token.GetString() is { Length: > 0 } value)
                {
                    return value;
                }
            }
            throw new RegistryException($"the token service of {image.Registry} answered without a token");
        }
    }

    private RegistryException Unauthorized(ImageReference image)
    {
        var credential = _options.Credentials.Find(image.Registry);
        var who = credential is null
            ? $"no credentials for {image.Registry} were found in {DockerConfigCredentials.DefaultPath()}; log in with 'docker login {image.Registry}'"
            : $"the credentials of {credential} were refused; log in again";
        return new RegistryException($"{image}: authentication failed: {who}", HttpStatusCode.Unauthorized);
    }

    private static AuthenticationHeaderValue Basic(Credential credential) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credential.Username}:{credential.Secret}")));

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
            return $" ({first.GetProperty("code").GetString()}: {first.GetProperty("message").GetString()})";
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

    /// <summary>
    /// The base URL of a registry. HTTPS everywhere, except that loopback hosts and
    /// --insecure-registry hosts fall back to plain HTTP when they do not speak TLS.
    /// </summary>
    internal async Task<Uri> EndpointAsync(string registry, CancellationToken cancellationToken)
    {
        // Shared by every caller, so it runs on no caller's token: one cancelled request must not cancel the choice for the rest.
        var choice = _endpoints.GetOrAdd(registry, host => ChooseEndpointAsync(host, CancellationToken.None));
        // A cancelled caller stops here even when the choice is already made.
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            return await choice.WaitAsync(cancellationToken);
        }
        catch (Exception) when (choice.IsFaulted)
        {
            // A failed probe is tried again by the next request, not remembered for the client's lifetime.
            _endpoints.TryRemove(new KeyValuePair<string, Task<Uri>>(registry, choice));
            throw;
        }
    }

    private async Task<Uri> ChooseEndpointAsync(string registry, CancellationToken cancellationToken)
    {
        var apiHost = registry == ImageReference.DockerHub ? "registry-1.docker.io" : registry;
        var https = new Uri($"https://{apiHost}/");
        var mayUseHttp = _options.InsecureRegistries.Contains(registry) || IsLoopback(https.Host);
        if (!mayUseHttp)
        {
            return https;
        }
        return await SpeaksTlsAsync(https.IdnHost, https.Port, cancellationToken) ? https : new Uri($"http://{apiHost}/");
    }

    private static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));

    /// <summary>True when the server answers a TLS handshake (whatever its certificate), false when it speaks plain HTTP.</summary>
    private static async Task<bool> SpeaksTlsAsync(string host, int port, CancellationToken cancellationToken)
    {
        using var tcp = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            await tcp.ConnectAsync(host, port, timeout.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false; // unreachable either way: the request itself reports it
        }
        var sawCertificate = false;
        await using var ssl = new SslStream(tcp.GetStream(), false, (_, _, _, _) => sawCertificate = true);
        try
        {
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = host }, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return sawCertificate;
        }
    }

    public void Dispose()
    {
        _verifying.Dispose();
        _unverified.Dispose();
    }
}

/// <summary>A manifest's exact bytes, with the digest they hash to and what they parse to.</summary>
public sealed record RawManifest(byte[] Content, string MediaType, Digest Digest, ManifestDocument Document)
{
    public Descriptor ToDescriptor() => new() { MediaType = MediaType, Digest = Digest, Size = Content.Length };
}
