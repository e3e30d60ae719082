using System.Text.Json.Nodes;
using Kargo.Airgap.Bundle;
using Kargo.Airgap.Oci;
using Kargo.Airgap.Registry;
using Kargo.Airgap.Tests.Infrastructure;
using static Kargo.Airgap.Tests.Infrastructure.Cli;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>spec.images with source: docker, read through podman's Docker-compatible API (the real service).</summary>
public sealed class EngineSourceTests : RegistryTest, IAsyncLifetime
{
    private readonly TestImage _app = TestImages.Image("engine-source-app", layers: 3);
    private readonly TestImage _rebuilt = TestImages.Image("engine-source-rebuilt");
    private TestPodman _podman = null!;

    public async Task InitializeAsync()
    {
        _podman = new TestPodman(Registry.Host);
        await Pusher.PushAsync("build/app", "1", _app);
        await Pusher.PushAsync("build/app", "2", _rebuilt);
        // What a user's 'podman build -t localhost/myapp:dev' leaves in the engine.
        await Podman("pull", "--tls-verify=false", $"{Registry.Host}/build/app:1");
        await Podman("tag", $"{Registry.Host}/build/app:1", "localhost/myapp:dev");
        File.WriteAllText(Work.Spec, """
            kind: Bundle
            metadata: {name: mine, version: "1"}
            spec:
              platforms: [linux/amd64]
              images:
                - {image: localhost/myapp:dev, source: docker}
            """);
    }

    public Task DisposeAsync()
    {
        _podman.Dispose();
        return Task.CompletedTask;
    }

    private async Task Podman(params string[] args)
    {
        var result = await _podman.PodmanAsync(args);
        Assert.True(result.ExitCode == 0, result.Output);
    }

    private Task<ProcessResult> BuildAsync(string output, params string[] extra) =>
        BundleAsync(["build", Work.Spec, "-o", output, "--lock", Work.Lock, "--cache", Work.Cache, "--engine", _podman.Endpoint.ToString(), .. extra]);

    [Fact]
    public async Task An_engine_image_is_bundled_with_its_layers_as_their_diff_ids_and_pulls_by_its_name()
    {
        AssertOk(await BuildAsync(Work.Output));

        var image = Assert.Single(BundleReader.ReadSummary(Work.Output).Inventory.Images);
        Assert.Equal("localhost/myapp:dev", image.Reference);
        AssertOk(await OfflineAsync("unpack", Work.Output, "--insecure-skip-signature", "--to", Work["node"]));
        var layout = new OciLayout(Work["node/oci"]);
        var manifest = JsonNode.Parse(layout.ReadBlob(image.Digest))!;
        var diffIds = JsonNode.Parse(_app.Blobs[0].Content)!["rootfs"]!["diff_ids"]!.AsArray().Select(d => d!.GetValue<string>());
        Assert.Equal(diffIds, manifest["layers"]!.AsArray().Select(l => l!["digest"]!.GetValue<string>()));
        Assert.Equal(_app.Blobs[0].Digest.ToString(), manifest["config"]!["digest"]!.GetValue<string>()); // podman keeps the config byte for byte

        // containerd pulls it by its name, through the mirror config, from serve.
        await using var server = await RegistryServer.StartAsync(await LayoutCatalog.LoadAsync(Work["node"]), new ServerOptions { Address = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0) });
        MirrorConfig.Write(["localhost"], server.Address, Work["root"], null);
        using var containerd = new TestContainerd();
        var pull = await containerd.CtrAsync("images", "pull", "--hosts-dir", Work["root/etc/containerd/certs.d"], "localhost/myapp:dev");
        Assert.True(pull.ExitCode == 0, pull.Output);
    }

    [Fact]
    public async Task The_lock_pins_an_engine_image_and_a_rebuild_of_it_is_refused_under_locked()
    {
        var locked = AssertOk(await BundleAsync("lock", Work.Spec, "--lock", Work.Lock, "--cache", Work.Cache, "--engine", _podman.Endpoint.ToString()));
        Assert.Contains("localhost/myapp:dev sha256:", locked.Stdout);

        AssertOk(await BuildAsync(Work["a.kargo"], "--locked"));
        AssertOk(await BuildAsync(Work["b.kargo"], "--locked"));
        Assert.Equal(File.ReadAllBytes(Work["a.kargo"]), File.ReadAllBytes(Work["b.kargo"]));

        await Podman("pull", "--tls-verify=false", $"{Registry.Host}/build/app:2");
        await Podman("tag", $"{Registry.Host}/build/app:2", "localhost/myapp:dev");
        var rebuilt = await BuildAsync(Work["c.kargo"], "--locked");

        Assert.Equal(1, rebuilt.ExitCode);
        Assert.Contains("localhost/myapp:dev: the engine's image is now sha256:", rebuilt.Stderr);
        Assert.Contains("run 'kargo-bundle lock' to pin this build", rebuilt.Stderr);
        Assert.False(File.Exists(Work["c.kargo"]));
    }

    [Fact]
    public async Task An_image_the_engine_does_not_have_is_named()
    {
        File.WriteAllText(Work.Spec, File.ReadAllText(Work.Spec).Replace("localhost/myapp:dev", "localhost/nothing:1", StringComparison.Ordinal));

        var result = await BuildAsync(Work.Output);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("localhost/nothing:1 is not an image of the engine at unix://", result.Stderr);
        Assert.Contains("build or pull it there first", result.Stderr);
    }
}
