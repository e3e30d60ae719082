using System.Net;
using Docker.DotNet;
using Docker.DotNet.Models;
using Kargo.Airgap.Registry;

namespace Kargo.Airgap.Engine;

/// <summary>
/// <c>kargo-offline serve --docker</c>: runs the CNCF distribution <c>registry</c> image from the
/// bundle as a container through the engine's API — host network, listening on the asked address,
/// restarted unless stopped, its data in a named volume — and pushes the layout into it.
/// </summary>
public sealed class EngineRegistry(LayoutCatalog catalog, Uri engine)
{
    public const string ContainerName = "kargo-registry";
    public const string DataVolume = "kargo-registry-data";
    private const string RegistryRepository = "docker.io/library/registry";

    public async Task<IReadOnlyList<PushedImage>> StartAsync(IPEndPoint address, Action<string>? log, CancellationToken cancellationToken)
    {
        var image = catalog.Repositories.FirstOrDefault(r => r.Name == RegistryRepository) is { Tags.Count: > 0 } repository
            ? $"{repository.Name}:{repository.Tags.Keys.Last()}"
            : throw new KargoException($"the bundle holds no {RegistryRepository} image to run; add docker.io/library/registry:2 to spec.images, or serve without --docker");
        await new EngineLoader(catalog, engine).LoadAsync([image], loaded => log?.Invoke($"loaded {loaded.Name}"), cancellationToken);

        using var client = await EngineClient.ConnectAsync(engine, cancellationToken);
        await RemoveOldAsync(client, cancellationToken);
        var created = await client.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Name = ContainerName,
            Image = image,
            Env = [$"REGISTRY_HTTP_ADDR={address}"],
            HostConfig = new HostConfig
            {
                NetworkMode = "host",
                RestartPolicy = new RestartPolicy { Name = RestartPolicyKind.UnlessStopped },
                Binds = [$"{DataVolume}:/var/lib/registry"],
            },
        }, cancellationToken);
        await client.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), cancellationToken);
        log?.Invoke($"started container {ContainerName} ({created.ID[..12]}) from {image}, listening on {address}");
        await WaitUntilServingAsync(client, created.ID, address, cancellationToken);

        using var registry = new RegistryClient(new RegistryOptions { InsecureRegistries = new HashSet<string>([address.ToString()]) });
        return await new RegistryPusher(registry, catalog, address.ToString()).PushAllAsync(
            pushed => log?.Invoke($"pushed {pushed.Target}: {pushed.Uploaded} blobs uploaded, {pushed.Present} already there"), cancellationToken);
    }

    /// <summary>A container of that name from an earlier run is replaced; its data volume stays.</summary>
    private static async Task RemoveOldAsync(DockerClient client, CancellationToken cancellationToken)
    {
        try
        {
            await client.Containers.RemoveContainerAsync(ContainerName, new ContainerRemoveParameters { Force = true }, cancellationToken);
        }
        catch (DockerContainerNotFoundException)
        {
        }
    }

    private static async Task<string> LastLogLinesAsync(DockerClient client, string id, CancellationToken cancellationToken)
    {
        using var logs = await client.Containers.GetContainerLogsAsync(id, new ContainerLogsParameters { ShowStdout = true, ShowStderr = true, Tail = "10" }, cancellationToken);
        var (stdout, stderr) = await logs.ReadOutputToEndAsync(cancellationToken);
        return (stdout + stderr).TrimEnd();
    }

    /// <summary>
    /// How the container ended, once it has: "exit N", or for one its restart policy brought back
    /// (an engine then shows it running with exit code 0, the real one lost) "restarted N times",
    /// after stopping it so it does not crash-loop on. Null while it runs its first time or is
    /// still "created"; an engine that cannot inspect a container while it exits is asked again.
    /// </summary>
    private static async Task<string?> EndedAsync(DockerClient client, string id, CancellationToken cancellationToken)
    {
        try
        {
            var container = await client.Containers.InspectContainerAsync(id, cancellationToken);
            if (container.State is { Status: "exited" or "stopped" or "dead" } state)
            {
                return $"exit {state.ExitCode}";
            }
            if (container.RestartCount > 0)
            {
                await client.Containers.StopContainerAsync(id, new ContainerStopParameters { WaitBeforeKillSeconds = 2 }, cancellationToken);
                return $"restarted {container.RestartCount} times";
            }
            return null;
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.InternalServerError)
        {
            return null;
        }
    }

    private static async Task WaitUntilServingAsync(DockerClient client, string id, IPEndPoint address, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await http.GetAsync($"http://{address}/v2/", cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
            }
            if (await EndedAsync(client, id, cancellationToken) is { } ended)
            {
                throw new KargoException($"container {ContainerName} stopped ({ended}) before serving on {address}; its last words:\n{await LastLogLinesAsync(client, id, cancellationToken)}");
            }
            await Task.Delay(200, cancellationToken);
        }
        throw new KargoException($"container {ContainerName} does not answer on {address} after 30 s");
    }
}
