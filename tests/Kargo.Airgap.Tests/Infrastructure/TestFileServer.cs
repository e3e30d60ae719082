using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Kargo.Airgap.Tests.Infrastructure;

/// <summary>
/// Release assets over HTTP on 127.0.0.1 (Kestrel), as GitHub releases serve them: files with Range
/// support, a redirect to another host name (localhost), and a count of requests per path.
/// </summary>
public sealed class TestFileServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    public ConcurrentDictionary<string, byte[]> Files { get; } = new();
    public ConcurrentDictionary<string, int> Requests { get; } = new();
    public int Port { get; }

    private TestFileServer(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public string Url(string path) => $"http://127.0.0.1:{Port}/{path}";

    public static async Task<TestFileServer> StartAsync()
    {
        TestFileServer? server = null;
        var (app, port) = await Loopback.StartKestrelAsync(routes =>
            {
                routes.MapGet("/files/{name}", (string name, HttpContext context) =>
                {
                    server!.Requests.AddOrUpdate(context.Request.Path, 1, (_, n) => n + 1);
                    if (context.Request.Headers.Range.Count > 0)
                    {
                        server.Requests.AddOrUpdate("range:" + context.Request.Path, 1, (_, n) => n + 1);
                    }
                    return server.Files.TryGetValue(name, out var content)
                        ? Results.Bytes(content, "application/octet-stream", enableRangeProcessing: true)
                        : Results.NotFound();
                });
                routes.MapGet("/mirror/{**path}", (string path, HttpContext context) =>
                {
                    server!.Requests.AddOrUpdate(context.Request.Path, 1, (_, n) => n + 1);
                    return server.Files.TryGetValue(path, out var content) ? Results.Bytes(content, "application/octet-stream", enableRangeProcessing: true) : Results.NotFound();
                });
                routes.MapGet("/moved/{name}", (string name) => Results.Redirect($"http://localhost:{server!.Port}/files/{name}"));
            });
        server = new TestFileServer(app, port);
        return server;
    }

    public int RequestsFor(string name) => Requests.GetValueOrDefault($"/files/{name}");

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
