using Kargo.Airgap.Tests.Infrastructure;
using static Kargo.Airgap.Tests.Infrastructure.Cli;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>load --docker through podman's Docker-compatible API, started by the test.</summary>
public sealed class EngineLoadTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly TestImage _busybox = TestImages.Image("engine-busybox", ManifestFormat.Docker);
    private readonly TestImage _operator = TestImages.Image("engine-operator");
    private readonly TestImage _multi = TestImages.Index("engine-multi", ManifestFormat.Oci, "amd64", "arm64");

    public EngineLoadTests()
    {
        TestLayout.Write(_dir["node/oci"],
            ("docker.io/library/busybox:1.36", _busybox),
            ("quay.io/kubevirt/virt-operator:v1.3.0", _operator),
            ("docker.io/library/multi:1", _multi));
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Images_load_into_the_engine_under_their_names_with_their_config_digests()
    {
        using var podman = new TestPodman();

        var result = AssertOk(await OfflineAsync("load", "--docker", _dir["node"], "--engine", podman.Endpoint.ToString()));

        Assert.Contains("3 images loaded", result.Stdout);
        foreach (var (name, config) in new[]
        {
            ("docker.io/library/busybox:1.36", _busybox.Blobs[0].Digest),
            ("quay.io/kubevirt/virt-operator:v1.3.0", _operator.Blobs[0].Digest),
            ("docker.io/library/multi:1", _multi.Children[0].Blobs[0].Digest),
        })
        {
            var inspect = await podman.PodmanAsync("image", "inspect", "--format", "{{.Id}}", name);
            Assert.True(inspect.ExitCode == 0, inspect.Output);
            Assert.Equal(config.Hex, inspect.Stdout.Trim());
        }
    }

    [Fact]
    public async Task Only_the_named_images_load_and_an_unknown_name_is_an_error()
    {
        using var podman = new TestPodman();

        AssertOk(await OfflineAsync("load", "--docker", _dir["node"], "quay.io/kubevirt/virt-operator:v1.3.0", "--engine", podman.Endpoint.ToString()));
        var listing = await podman.PodmanAsync("images", "--format", "{{.Repository}}:{{.Tag}}");
        Assert.Contains("quay.io/kubevirt/virt-operator:v1.3.0", listing.Stdout);
        Assert.DoesNotContain("busybox", listing.Stdout);

        var unknown = await OfflineAsync("load", "--docker", _dir["node"], "nginx:1", "--engine", podman.Endpoint.ToString());
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("docker.io/library/nginx:1", unknown.Stderr);
    }

    [Fact]
    public async Task An_engine_that_does_not_answer_is_named()
    {
        var result = await OfflineAsync("load", "--docker", _dir["node"], "--engine", "unix://" + _dir["none.sock"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("does not answer", result.Stderr);
    }
}
