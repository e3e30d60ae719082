using System.Collections.Concurrent;
using System.Net;
using Kargo.Airgap.Oci;
using Kargo.Airgap.Registry;
using Kargo.Airgap.Registry.Http;
using Kargo.Airgap.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Kargo.Airgap.Tests.Unit;

/// <summary>The one HTTP pipeline (auth, retries, scheme) against a real Kestrel server on 127.0.0.1.</summary>
public sealed class HttpPipelineTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private readonly ConcurrentQueue<(string Path, string? Authorization, byte[] Body)> _seen = new();
    private WebApplication? _app;
    private int _port;
    private int _failuresLeft;

    public async Task InitializeAsync()
    {
        (_app, _port) = await Loopback.StartKestrelAsync(routes =>
        {
            routes.MapPut("/upload", async (HttpContext context) =>
            {
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body);
                _seen.Enqueue((context.Request.Path, context.Request.Headers.Authorization.FirstOrDefault(), body.ToArray()));
                return Interlocked.Decrement(ref _failuresLeft) >= 0 ? Results.StatusCode(503) : Results.Created("/done", null);
            });
            routes.MapGet("/v2/{**rest}", (HttpContext context) =>
            {
                var authorization = context.Request.Headers.Authorization.FirstOrDefault();
                _seen.Enqueue((context.Request.Path, authorization, []));
                if (authorization is null)
                {
                    context.Response.Headers.WWWAuthenticate = "Basic realm=\"test\"";
                    return Results.StatusCode(401);
                }
                return Results.Ok();
            });
            routes.MapGet("/files/asset", (HttpContext context) =>
            {
                _seen.Enqueue((context.Request.Path, context.Request.Headers.Authorization.FirstOrDefault(), []));
                return Results.Bytes([1, 2, 3]);
            });
        });
    }

    public async Task DisposeAsync()
    {
        await _app!.DisposeAsync();
        _dir.Dispose();
    }

    private HttpClient Pipeline() => HttpPipeline.Create(new RegistryOptions
    {
        Retry = new Backoff(4, TimeSpan.FromMilliseconds(1)),
        Credentials = RegistryCredentials.None().With($"127.0.0.1:{_port}", new Credential("user", "s3cret", "test")),
    });

    [Fact]
    public async Task An_upload_answered_503_is_sent_again_with_the_same_bytes_from_the_source()
    {
        var bytes = Enumerable.Range(0, 300_000).Select(i => (byte)i).ToArray();
        var layout = new OciLayout(_dir["oci"]).EnsureCreated();
        var blob = layout.PutBlob("application/octet-stream", bytes);
        _failuresLeft = 2;
        using var http = Pipeline();

        using var response = await http.PutAsync($"http://127.0.0.1:{_port}/upload", new BlobRangeContent(layout, ImageReference.Parse("example.org/x:1"), blob, 1000, 200_000, sayRange: false));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(3, _seen.Count);
        Assert.All(_seen, s => Assert.Equal(bytes[1000..201_000], s.Body));
    }

    [Fact]
    public async Task A_request_that_keeps_failing_returns_the_last_answer_after_the_attempts_allowed()
    {
        _failuresLeft = 10;
        using var http = Pipeline();

        using var response = await http.PutAsync($"http://127.0.0.1:{_port}/upload", new ByteArrayContent([1]));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(4, _seen.Count);
    }

    [Fact]
    public async Task Credentials_answer_the_registry_challenge_and_never_go_with_a_file_download_to_the_same_host()
    {
        using var http = Pipeline();
        using var registryRequest = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{_port}/v2/");
        registryRequest.Options.Set(RegistryScope.Key, new RegistryScope($"127.0.0.1:{_port}", "x", ["repository:x:pull"]));

        using var answered = await http.SendAsync(registryRequest);
        using var download = await http.GetAsync($"http://127.0.0.1:{_port}/files/asset");

        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        var seen = _seen.ToList();
        Assert.Equal([null, "Basic dXNlcjpzM2NyZXQ="], seen.Where(s => s.Path == "/v2/").Select(s => s.Authorization));
        Assert.Null(Assert.Single(seen, s => s.Path == "/files/asset").Authorization);
    }
}
