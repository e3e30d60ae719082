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
    private const string K3s = PlatformRelease.K3s;
    private PlatformRelease _release = null!;

    private static string Sha(byte[] content) => PlatformRelease.Sha(content);

    public async Task InitializeAsync() => _release = await PlatformRelease.StartAsync(Registry, Pusher);

    public async Task DisposeAsync() => await _release.DisposeAsync();

    private void WriteSpec(string cdiVersion = "v1.59.0") => _release.WriteSpec(Work.Spec, cdiVersion);

    private Task<ProcessResult> BuildAsync(params string[] extra) => Work.BuildAsync(["--release-mirror", _release.MirrorUrl, .. extra]);

    [Fact]
    public async Task Components_by_version_bring_their_files_manifests_and_every_image_their_operators_start()
    {
        WriteSpec();

        AssertOk(await BuildAsync());

        var inventory = BundleReader.ReadSummary(Work.Output).Inventory;
        Assert.Equal(["k3s v1.30.4+k3s1", "kubevirt v1.3.0", "cdi v1.59.0"], inventory.Components!.Select(c => $"{c.Name} {c.Version}"));
        Assert.Equal(["Snapshot", "LiveMigration"], inventory.Components![1].FeatureGates!);
        var paths = inventory.Entries.Select(e => e.Path).ToList();
        foreach (var entry in new[] { "files/k3s-amd64", "files/k3s-airgap-images-amd64.tar.zst", "files/k3s-sha256sum-amd64.txt", "files/k3s-install.sh", "files/virtctl-linux-amd64",
            "manifests/kubevirt-operator.yaml", "manifests/kubevirt-cr.yaml", "manifests/cdi-operator.yaml", "manifests/cdi-cr.yaml", "manifests/cert-manager.yaml", "manifests/hpp-operator.yaml" })
        {
            Assert.Contains(entry, paths);
        }
        Assert.Contains(inventory.Entries, e => e.Path == "files/k3s-amd64" && e.Sha256 == Sha(_release.K3sBinary));
        // Every image the published manifests name, and the four virt-operator derives at run time, which none names.
        Assert.Equal(_release.Images.Keys.Order(StringComparer.Ordinal), inventory.Images.Select(i => i.Reference).Order(StringComparer.Ordinal));
        Assert.All(PlatformRelease.KubeVirtDerived, name =>
            Assert.Equal("kubevirt-operator", inventory.Images.Single(i => i.Reference == $"{Registry.Host}/kubevirt/{name}:v1.3.0").FoundBy));
        Assert.Equal("image-argument", inventory.Images.Single(i => i.Reference.EndsWith("/cert-manager-acmesolver:v1.15.3", StringComparison.Ordinal)).FoundBy);
        Assert.Equal("hostpath-provisioner", inventory.ManifestNamespaces!["manifests/hpp-operator.yaml"]);

        var inspect = AssertOk(await BundleAsync("inspect", Work.Output));
        Assert.Contains("component: kubevirt v1.3.0 (feature gates: Snapshot, LiveMigration)", inspect.Stdout);
        Assert.Contains($"[kubevirt] {Registry.Host}/kubevirt/virt-handler:v1.3.0  (found by kubevirt-operator)", inspect.Stdout);
        Assert.Contains($"[cdi] {Registry.Host}/kubevirt/cdi-controller:v1.59.0  (found by image-variable)", inspect.Stdout);
        Assert.Contains("files/k3s-airgap-images-amd64.tar.zst", inspect.Stdout);

        AssertOk(await BuildAsync("--locked"));

        // lock, from scratch: every release file and every tag the manifests name is pinned, each with the rule that found it.
        File.Delete(Work.Lock);
        var relock = AssertOk(await Work.LockAsync("--release-mirror", _release.MirrorUrl));
        var lockFile = Kargo.Airgap.Spec.LockFile.Load(Work.Lock);
        Assert.Equal(16, lockFile.Files.Count());
        Assert.Contains(lockFile.Files, f => f.Url.EndsWith("/k3s-airgap-images-amd64.tar.zst", StringComparison.Ordinal) && f.Sha256 == Sha(_release.AirgapImages));
        Assert.Equal(_release.Images.Keys.Order(StringComparer.Ordinal), lockFile.Images.Select(i => i.Reference).Order(StringComparer.Ordinal));
        var virtOperator = _release.Images[$"{Registry.Host}/kubevirt/virt-operator:v1.3.0"];
        Assert.Contains($"{Registry.Host}/kubevirt/virt-operator:v1.3.0 {virtOperator.Digest} (new, found by container-image in manifests/kubevirt-operator.yaml: Deployment virt-operator, container virt-operator)", relock.Stdout);
        Assert.Contains($"{Registry.Host}/kubevirt/virt-api:v1.3.0 {_release.Images[$"{Registry.Host}/kubevirt/virt-api:v1.3.0"].Digest} (new, found by kubevirt-operator in manifests/kubevirt-operator.yaml: Deployment virt-operator, container virt-operator, derived from VIRT_OPERATOR_IMAGE", relock.Stdout);
    }

    [Fact]
    public async Task Lock_plan_names_every_url_image_and_host_without_contacting_anything()
    {
        WriteSpec();

        var cold = AssertOk(await Work.LockAsync("--release-mirror", _release.MirrorUrl, "--plan"));

        Assert.Empty(_release.Server.Requests);
        Assert.False(File.Exists(Work.Lock));
        Assert.Contains($"  {_release.MirrorUrl}/github.com/k3s-io/k3s/releases/download/v1.30.4%2Bk3s1/k3s-airgap-images-amd64.tar.zst", cold.Stdout);
        Assert.Contains("images named by these manifests are known once they are downloaded", cold.Stdout);
        Assert.Contains($"  {_release.MirrorUrl}/github.com/kubevirt/kubevirt/releases/download/v1.3.0/kubevirt-operator.yaml", cold.Stdout);

        AssertOk(await BuildAsync());
        var requests = _release.Server.Requests.Values.Sum();
        var warm = AssertOk(await Work.LockAsync("--release-mirror", _release.MirrorUrl, "--plan", "--json"));

        Assert.Equal(requests, _release.Server.Requests.Values.Sum());
        using var json = System.Text.Json.JsonDocument.Parse(warm.Stdout);
        var images = json.RootElement.GetProperty("images").EnumerateArray().Select(i => i.GetProperty("reference").GetString()).ToList();
        Assert.Equal(_release.Images.Keys.Order(StringComparer.Ordinal), images.Order(StringComparer.Ordinal));
        Assert.Empty(json.RootElement.GetProperty("notCached").EnumerateArray());
        Assert.Equal(new[] { $"127.0.0.1:{_release.Server.Port}", Registry.Host }.Order(StringComparer.Ordinal), json.RootElement.GetProperty("hosts").EnumerateArray().Select(h => h.GetString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_k3s_asset_that_disagrees_with_the_release_checksums_is_refused()
    {
        _release.Server.Files[$"github.com/k3s-io/k3s/releases/download/{K3s}/sha256sum-amd64.txt"] = Encoding.ASCII.GetBytes($"{Sha(_release.K3sBinary)}  k3s\n{new string('0', 64)}  k3s-airgap-images-amd64.tar.zst\n");
        WriteSpec();

        var result = await BuildAsync();

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"k3s {K3s}: k3s-airgap-images-amd64.tar.zst hashes to {Sha(_release.AirgapImages)} but the release's sha256sum-amd64.txt says {new string('0', 64)}", result.Stderr);
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
