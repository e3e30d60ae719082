using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Kargo.Airgap.Tests.Infrastructure;

/// <summary>
/// Seeds a registry over the distribution API (monolithic blob uploads, manifests by tag),
/// answering basic and token challenges. Test-side only: it trusts any certificate.
/// </summary>
public sealed class TestPusher : IDisposable
{
    private readonly TestRegistry _registry;
    private readonly HttpClient _http;
    private AuthenticationHeaderValue? _auth;

    public TestPusher(TestRegistry registry)
    {
        _registry = registry;
        _http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true })
        {
            BaseAddress = new Uri($"{(registry.Tls is null ? "http" : "https")}://{registry.Host}/"),
        };
    }

    /// <summary>Pushes one image under REPOSITORY:1 with a pusher of its own.</summary>
    public static async Task SeedAsync(TestRegistry registry, string repository, TestImage image)
    {
        using var pusher = new TestPusher(registry);
        await pusher.PushAsync(repository, "1", image);
    }

    /// <summary>Pushes an image or an index (its children by digest first) under a tag.</summary>
    public async Task PushAsync(string repository, string tag, TestImage image)
    {
        foreach (var child in image.Children)
        {
            await PushAsync(repository, child.Digest.ToString(), child);
        }
        foreach (var blob in image.Blobs)
        {
            await PushBlobAsync(repository, blob.Content);
        }
        var response = await SendAsync(repository, () => new HttpRequestMessage(HttpMethod.Put, $"v2/{repository}/manifests/{tag}")
        {
            Content = new ByteArrayContent(image.Manifest) { Headers = { ContentType = new MediaTypeHeaderValue(image.MediaType) } },
        });
        await EnsureAsync(response);
    }

    public async Task PushBlobAsync(string repository, byte[] content)
    {
        var digest = Kargo.Airgap.Oci.Digest.Compute(content);
        var start = await SendAsync(repository, () => new HttpRequestMessage(HttpMethod.Post, $"v2/{repository}/blobs/uploads/"));
        await EnsureAsync(start);
        var location = start.Headers.Location!;
        var separator = location.ToString().Contains('?') ? "&" : "?";
        var put = await SendAsync(repository, () => new HttpRequestMessage(HttpMethod.Put, $"{location}{separator}digest={digest}")
        {
            Content = new ByteArrayContent(content) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } },
        });
        await EnsureAsync(put);
    }

    private async Task<HttpResponseMessage> SendAsync(string repository, Func<HttpRequestMessage> create)
    {
        var request = create();
        request.Headers.Authorization = _auth;
        var response = await _http.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.Unauthorized)
        {
            return response;
        }
        var challenge = response.Headers.WwwAuthenticate.First();
        var basic = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{TestRegistry.User}:{TestRegistry.Password}")));
        if (challenge.Scheme == "Bearer")
        {
            using var tokenRequest = new HttpRequestMessage(HttpMethod.Get, $"{_registry.Tokens!.Realm}?service={Uri.EscapeDataString(TokenServer.Service)}&scope=repository:{repository}:pull,push");
            tokenRequest.Headers.Authorization = basic;
            using var tokenResponse = await _http.SendAsync(tokenRequest);
            using var json = JsonDocument.Parse(await tokenResponse.Content.ReadAsStringAsync());
            _auth = new AuthenticationHeaderValue("Bearer", json.RootElement.GetProperty("token").GetString());
        }
        else
        {
            _auth = basic;
        }
        request = create();
        request.Headers.Authorization = _auth;
        return await _http.SendAsync(request);
    }

    private static async Task EnsureAsync(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"push failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    public void Dispose() => _http.Dispose();
}
