using System.Security.Cryptography;
using System.Text;
using Kargo.Airgap.Bundle;
using Kargo.Airgap.Tests.Infrastructure;
using static Kargo.Airgap.Tests.Infrastructure.Cli;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>
/// k3s, KubeVirt and CDI asked for by version, from a release mirror on 127.0.0.1 holding assets
/// shaped like the real releases, and the real registry holding the images their manifests name.
/// </summary>
public sealed class PlatformReleaseTests : RegistryTest, IAsyncLifetime
{
    private const string K3s = "v1.30.4+k3s1";
    private TestFileServer _server = null!;
    private readonly TestImage _virtOperator = TestImages.Image("rel-virt-operator");
    private readonly TestImage _virtApi = TestImages.Image("rel-virt-api");
    private readonly TestImage _cdiOperator = TestImages.Image("rel-cdi-operator");
    private readonly TestImage _cdiController = TestImages.Image("rel-cdi-controller");
    private readonly byte[] _k3s = RandomNumberGenerator.GetBytes(200_000);
    private readonly byte[] _airgap = RandomNumberGenerator.GetBytes(300_000);

    private static string Sha(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    public async Task InitializeAsync()
    {
        _server = await TestFileServer.StartAsync();
        await Pusher.PushAsync("kubevirt/virt-operator", "v1.3.0", _virtOperator);
        await Pusher.PushAsync("kubevirt/virt-api", "v1.3.0", _virtApi);
        await Pusher.PushAsync("kubevirt/cdi-operator", "v1.59.0", _cdiOperator);
        await Pusher.PushAsync("kubevirt/cdi-controller", "v1.59.0", _cdiController);
        var k3s = $"github.com/k3s-io/k3s/releases/download/{K3s}/";
        _server.Files[k3s + "k3s"] = _k3s;
        _server.Files[k3s + "k3s-airgap-images-amd64.tar.zst"] = _airgap;
        _server.Files[k3s + "sha256sum-amd64.txt"] = Encoding.ASCII.GetBytes($"{Sha(_k3s)}  k3s\n{Sha(_airgap)}  k3s-airgap-images-amd64.tar.zst\n");
        _server.Files[$"raw.githubusercontent.com/k3s-io/k3s/{K3s}/install.sh"] = "#!/bin/sh\necho install\n"u8.ToArray();
        var kubevirt = "github.com/kubevirt/kubevirt/releases/download/v1.3.0/";
        _server.Files[kubevirt + "kubevirt-operator.yaml"] = Encoding.UTF8.GetBytes($$"""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: virt-operator, namespace: kubevirt}
            spec:
              template:
                spec:
                  containers:
                  - name: virt-operator
                    image: {{Registry.Host}}/kubevirt/virt-operator:v1.3.0
                    env:
                    - {name: OPERATOR_IMAGE, value: "{{Registry.Host}}/kubevirt/virt-operator:v1.3.0"}
                    - {name: KUBEVIRT_VERSION, value: v1.3.0}
                    - {name: VIRT_API_SHASUM, value: "{{_virtApi.Digest}}"}
            """);
        _server.Files[kubevirt + "kubevirt-cr.yaml"] = "apiVersion: kubevirt.io/v1\nkind: KubeVirt\nmetadata: {name: kubevirt}\n"u8.ToArray();
        _server.Files[kubevirt + "virtctl-v1.3.0-linux-amd64"] = RandomNumberGenerator.GetBytes(50_000);
        var cdi = "github.com/kubevirt/containerized-data-importer/releases/download/v1.59.0/";
        _server.Files[cdi + "cdi-operator.yaml"] = Encoding.UTF8.GetBytes($$"""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: cdi-operator, namespace: cdi}
            spec:
              template:
                spec:
                  containers:
                  - name: cdi-operator
                    image: {{Registry.Host}}/kubevirt/cdi-operator:v1.59.0
                    env:
                    - {name: CONTROLLER_IMAGE, value: "{{Registry.Host}}/kubevirt/cdi-controller:v1.59.0"}
            """);
        _server.Files[cdi + "cdi-cr.yaml"] = "apiVersion: cdi.kubevirt.io/v1beta1\nkind: CDI\nmetadata: {name: cdi}\n"u8.ToArray();
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private void WriteSpec(string cdiVersion = "v1.59.0") => File.WriteAllText(Work.Spec, $"""
        kind: Bundle
        metadata: {"{"}name: kargo-platform, version: "1"{"}"}
        spec:
          platforms: [linux/amd64]
          cluster:
            k3s: {"{"}version: "{K3s}"{"}"}
          kubevirt:
            version: v1.3.0
            featureGates: [Snapshot, LiveMigration]
          cdi: {"{"}version: {cdiVersion}{"}"}
        """);

    private Task<ProcessResult> BuildAsync(params string[] extra) => Work.BuildAsync(["--release-mirror", _server.Url("mirror"), .. extra]);

    [Fact]
    public async Task Components_by_version_bring_their_files_manifests_and_every_image_they_name()
    {
        WriteSpec();

        AssertOk(await BuildAsync());

        var inventory = BundleReader.ReadSummary(Work.Output).Inventory;
        Assert.Equal(["k3s v1.30.4+k3s1", "kubevirt v1.3.0", "cdi v1.59.0"], inventory.Components!.Select(c => $"{c.Name} {c.Version}"));
        Assert.Equal(["Snapshot", "LiveMigration"], inventory.Components![1].FeatureGates!);
        var paths = inventory.Entries.Select(e => e.Path).ToList();
        foreach (var entry in new[] { "files/k3s-amd64", "files/k3s-airgap-images-amd64.tar.zst", "files/k3s-sha256sum-amd64.txt", "files/k3s-install.sh", "files/virtctl-linux-amd64",
            "manifests/kubevirt-operator.yaml", "manifests/kubevirt-cr.yaml", "manifests/cdi-operator.yaml", "manifests/cdi-cr.yaml" })
        {
            Assert.Contains(entry, paths);
        }
        Assert.Contains(inventory.Entries, e => e.Path == "files/k3s-amd64" && e.Sha256 == Sha(_k3s));
        Assert.Equal(
            [$"{Registry.Host}/kubevirt/cdi-controller:v1.59.0", $"{Registry.Host}/kubevirt/cdi-operator:v1.59.0", $"{Registry.Host}/kubevirt/virt-api@{_virtApi.Digest}", $"{Registry.Host}/kubevirt/virt-operator:v1.3.0"],
            inventory.Images.Select(i => i.Reference).Order(StringComparer.Ordinal));

        var inspect = AssertOk(await BundleAsync("inspect", Work.Output));
        Assert.Contains("component: kubevirt v1.3.0 (feature gates: Snapshot, LiveMigration)", inspect.Stdout);
        Assert.Contains($"[kubevirt] {Registry.Host}/kubevirt/virt-api@{_virtApi.Digest}", inspect.Stdout);
        Assert.Contains($"[cdi] {Registry.Host}/kubevirt/cdi-controller:v1.59.0", inspect.Stdout);
        Assert.Contains("files/k3s-airgap-images-amd64.tar.zst", inspect.Stdout);

        AssertOk(await BuildAsync("--locked"));

        // lock, from scratch: every release file and every tag the manifests name is pinned.
        File.Delete(Work.Lock);
        var relock = AssertOk(await Work.LockAsync("--release-mirror", _server.Url("mirror")));
        var lockFile = Kargo.Airgap.Spec.LockFile.Load(Work.Lock);
        Assert.Equal(9, lockFile.Files.Count());
        Assert.Contains(lockFile.Files, f => f.Url.EndsWith("/k3s-airgap-images-amd64.tar.zst", StringComparison.Ordinal) && f.Sha256 == Sha(_airgap));
        Assert.Equal(
            [$"{Registry.Host}/kubevirt/cdi-controller:v1.59.0", $"{Registry.Host}/kubevirt/cdi-operator:v1.59.0", $"{Registry.Host}/kubevirt/virt-api@{_virtApi.Digest}", $"{Registry.Host}/kubevirt/virt-operator:v1.3.0"],
            lockFile.Images.Select(i => i.Reference).Order(StringComparer.Ordinal));
        Assert.Contains($"{Registry.Host}/kubevirt/virt-operator:v1.3.0 {_virtOperator.Digest} (new)", relock.Stdout);
    }

    [Fact]
    public async Task A_k3s_asset_that_disagrees_with_the_release_checksums_is_refused()
    {
        _server.Files[$"github.com/k3s-io/k3s/releases/download/{K3s}/sha256sum-amd64.txt"] = Encoding.ASCII.GetBytes($"{Sha(_k3s)}  k3s\n{new string('0', 64)}  k3s-airgap-images-amd64.tar.zst\n");
        WriteSpec();

        var result = await BuildAsync();

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"k3s {K3s}: k3s-airgap-images-amd64.tar.zst hashes to {Sha(_airgap)} but the release's sha256sum-amd64.txt says {new string('0', 64)}", result.Stderr);
        Assert.False(File.Exists(Work.Output));
    }

    [Fact]
    public async Task A_version_that_does_not_exist_is_a_clear_error_at_its_line()
    {
        WriteSpec(cdiVersion: "v9.9.9");

        var result = await BuildAsync();

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"{Work.Spec}:10:", result.Stderr);
        Assert.Contains("v9.9.9/cdi-operator.yaml: the server answered 404", result.Stderr);
        Assert.False(File.Exists(Work.Output));
    }
}
