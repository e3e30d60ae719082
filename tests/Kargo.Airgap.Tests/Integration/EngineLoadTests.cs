using Kargo.Airgap.Tests.Infrastructure;
using static Kargo.Airgap.Tests.Infrastructure.Cli;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>load --docker through podman's Docker-compatible API, started by the test.</summary>
public sealed class EngineLoadTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly TestImage _busybox;
    private readonly TestImage _operator;
    private readonly TestImage _multi;

    public EngineLoadTests()
    {
        (_busybox, _operator, _multi) = TestLayout.WriteUpstreamSet(_dir["node"], "engine");
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
    public async Task An_image_pinned_only_by_digest_loads_untagged_under_its_config_digest()
    {
        var pinned = TestImages.Image("engine-pinned");
        var folder = _dir["pinned"];
        TestLayout.Write(Path.Combine(folder, "oci"), ("docker.io/library/busybox:1.36", _busybox), ($"ghcr.io/k8snetworkplumbingwg/multus-cni@{pinned.Digest}", pinned));
        using var podman = new TestPodman();

        var all = AssertOk(await OfflineAsync("load", "--docker", folder, "--engine", podman.Endpoint.ToString()));
        var named = AssertOk(await OfflineAsync("load", "--docker", folder, $"ghcr.io/k8snetworkplumbingwg/multus-cni@{pinned.Digest}", "--engine", podman.Endpoint.ToString()));

        Assert.Contains("2 images loaded", all.Stdout);
        Assert.Contains("1 images loaded", named.Stdout);
        var inspect = await podman.PodmanAsync("image", "inspect", "--format", "{{.Id}}", pinned.Blobs[0].Digest.Hex);
        Assert.True(inspect.ExitCode == 0, inspect.Output);
    }

    [Fact]
    public async Task An_engine_that_does_not_answer_is_named()
    {
        var result = await OfflineAsync("load", "--docker", _dir["node"], "--engine", "unix://" + _dir["none.sock"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("does not answer", result.Stderr);
    }

    [Fact]
    public async Task Serve_docker_runs_the_bundled_registry_image_and_pushes_every_image_into_it()
    {
        using var node = new TempDir();
        var registry = RegistryImage.Build();
        TestLayout.Write(node["oci"],
            ("docker.io/library/registry:2", registry),
            ("quay.io/kubevirt/virt-operator:v1.3.0", _operator),
            ("docker.io/library/busybox:1.36", _busybox));
        using var podman = new TestPodman();
        var port = Loopback.FreePort();
        try
        {
            var result = AssertOk(await OfflineAsync("serve", node.Path, "--docker", "--addr", $"127.0.0.1:{port}", "--engine", podman.Endpoint.ToString()));

            Assert.Contains($"container kargo-registry serves 3 repositories at http://127.0.0.1:{port}/", result.Stdout);
            var raw = await ProcessRunner.CheckedAsync("skopeo", "inspect", "--raw", "--tls-verify=false", $"docker://127.0.0.1:{port}/kubevirt/virt-operator:v1.3.0");
            Assert.Equal(_operator.Digest, Kargo.Airgap.Oci.Digest.Compute(System.Text.Encoding.UTF8.GetBytes(raw)));
            var policy = await podman.PodmanAsync("inspect", "--format", "{{.HostConfig.RestartPolicy.Name}}", "kargo-registry");
            Assert.Equal("unless-stopped", policy.Stdout.Trim());

            // Again: the container is replaced, its volume kept, and nothing is uploaded twice.
            var again = AssertOk(await OfflineAsync("serve", node.Path, "--docker", "--addr", $"127.0.0.1:{port}", "--engine", podman.Endpoint.ToString()));
            Assert.Contains("pushed 127.0.0.1", again.Stderr);
            Assert.DoesNotMatch("[1-9] blobs uploaded", again.Stderr);
        }
        finally
        {
            await podman.PodmanAsync("rm", "-f", "kargo-registry");
        }
    }

    [Fact]
    public async Task A_registry_container_that_dies_is_reported_with_its_last_log_lines()
    {
        using var node = new TempDir();
        TestLayout.Write(node["oci"], ("docker.io/library/registry:2", RegistryImage.Build("version: 0.1\nstorage: [not, a, mapping]\n")));
        using var podman = new TestPodman();
        try
        {
            var result = await OfflineAsync("serve", node.Path, "--docker", "--addr", $"127.0.0.1:{Loopback.FreePort()}", "--engine", podman.Endpoint.ToString());

            Assert.Equal(1, result.ExitCode);
            // The engine restarts it at once; whether a poll sees the exit (exit 1) or the restart is a race.
            Assert.Matches(@"container kargo-registry stopped \((exit 1|restarted \d+ times)\) before serving", result.Stderr);
            Assert.Contains("configuration error", result.Stderr);
        }
        finally
        {
            await podman.PodmanAsync("rm", "-f", "kargo-registry");
        }
    }

    [Fact]
    public async Task Serve_docker_needs_a_registry_image_in_the_bundle()
    {
        var result = await OfflineAsync("serve", _dir["node"], "--docker", "--engine", "unix:///nonexistent.sock");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("holds no docker.io/library/registry image", result.Stderr);
    }
}
