using Docker.DotNet;

namespace Kargo.Airgap.Install;

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

    public static async Task<DockerClient> ConnectAsync(Uri engine, CancellationToken cancellationToken)
    {
        // API 1.41: what Podman's compatible service speaks, and every Docker since 20.10.
        var client = new DockerClientBuilder().WithEndpoint(engine).WithApiVersion(new Version(1, 41)).Build();
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
