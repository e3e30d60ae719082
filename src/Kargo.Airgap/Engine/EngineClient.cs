using Docker.DotNet;

namespace Kargo.Airgap.Engine;

/// <summary>A client for a Docker or Podman engine's API, checked to answer before use.</summary>
public static class EngineClient
{
    /// <summary>The engine to use when none is named: DOCKER_HOST, Docker's socket, then Podman's.</summary>
    public static Uri DefaultEngine()
    {
        if (Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host)
        {
            return new Uri(host);
        }
        foreach (var socket in new[] { "/var/run/docker.sock", "/run/podman/podman.sock" })
        {
            if (File.Exists(socket))
            {
                return new Uri("unix://" + socket);
            }
        }
        throw new KargoException("no Docker or Podman engine found (no DOCKER_HOST, /var/run/docker.sock or /run/podman/podman.sock); name one with --engine unix:///path/to.sock");
    }

    /// <summary>
    /// A plain HttpClient on the engine's API (a unix socket or tcp://), for streaming an image
    /// archive: Docker.DotNet's chunked reader fails at the end of podman's 'images/get' answer.
    /// </summary>
    public static HttpClient Http(Uri engine)
    {
        if (engine.Scheme == "unix")
        {
            var handler = new SocketsHttpHandler
            {
                ConnectCallback = async (_, cancellationToken) =>
                {
                    var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
                    try
                    {
                        await socket.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(engine.AbsolutePath), cancellationToken);
                        return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                },
            };
            return new HttpClient(handler) { BaseAddress = new Uri($"http://engine/v{ApiVersion}/"), Timeout = Timeout.InfiniteTimeSpan };
        }
        var scheme = engine.Scheme is "tcp" or "http" ? "http" : "https";
        return new HttpClient { BaseAddress = new Uri($"{scheme}://{engine.Authority}/v{ApiVersion}/"), Timeout = Timeout.InfiniteTimeSpan };
    }

    private const string ApiVersion = "1.41";

    public static async Task<DockerClient> ConnectAsync(Uri engine, CancellationToken cancellationToken)
    {
        // API 1.41: what Podman's compatible service speaks, and every Docker since 20.10.
        var client = new DockerClientBuilder().WithEndpoint(engine).WithApiVersion(Version.Parse(ApiVersion)).Build();
        try
        {
            await client.System.PingAsync(cancellationToken);
            return client;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or DockerApiException or TimeoutException)
        {
            client.Dispose();
            throw new KargoException($"the engine at {engine} does not answer: {e.Message}. Is Docker (or podman system service) running?", e);
        }
    }
}
