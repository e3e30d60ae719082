using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Kargo.Airgap.Bundle;
using Kargo.Airgap.Spec;
using Kargo.Airgap.Tests.Infrastructure;
using static Kargo.Airgap.Tests.Infrastructure.Cli;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>
/// A KubeVirt newer than every fixture (v1.9.0's kubevirt-operator.yaml with its tags moved to
/// v1.9.7) locks and builds: virt-template's tag, which no table could know (v0.2.9), is read from
/// /usr/bin/virt-operator in the operator image the real registry serves.
/// </summary>
public sealed class KubeVirtNeverSeenTests : RegistryTest
{
    private static readonly string[] Derived = ["virt-api", "virt-controller", "virt-handler", "virt-launcher", "virt-exportproxy", "virt-exportserver"];

    [Fact]
    public async Task Lock_and_build_take_virt_templates_tag_from_the_operator_binary()
    {
        var operatorYaml = ReleaseFixtures.Read("kubevirt-v1.9.0-kubevirt-operator.yaml")
            .Replace("quay.io/kubevirt/", $"{Registry.Host}/kubevirt/", StringComparison.Ordinal)
            .Replace("v1.9.0", "v1.9.7", StringComparison.Ordinal);
        File.WriteAllText(Work["kubevirt-operator.yaml"], operatorYaml);
        await Pusher.PushAsync("kubevirt/virt-operator", "v1.9.7", VirtOperatorStandIn.Image("v0.2.9", "never-seen"));
        foreach (var name in Derived)
        {
            await Pusher.PushAsync($"kubevirt/{name}", "v1.9.7", TestImages.Image($"never-seen/{name}", layers: 1, layerSize: 2048));
        }
        foreach (var name in new[] { "virt-template-apiserver", "virt-template-controller" })
        {
            await Pusher.PushAsync($"kubevirt/{name}", "v0.2.9", TestImages.Image($"never-seen/{name}", layers: 1, layerSize: 2048));
        }
        File.WriteAllText(Work.Spec, """
            apiVersion: kargo.dev/v1alpha1
            kind: Bundle
            metadata: {name: never-seen, version: 1.0.0}
            spec:
              platforms: [linux/amd64]
              manifests:
                - kubevirt-operator.yaml

            """);

        var locked = AssertOk(await Work.LockAsync());

        Assert.Contains($"{Registry.Host}/kubevirt/virt-template-apiserver:v0.2.9", locked.Stdout);
        Assert.Contains($"{Registry.Host}/kubevirt/virt-template-controller:v0.2.9", locked.Stdout);
        var lockFile = LockFile.Load(Work.Lock);
        var embedded = Assert.Single(lockFile.Embedded);
        Assert.Equal($"{Registry.Host}/kubevirt/virt-operator:v1.9.7", embedded.Image);
        Assert.Equal("/usr/bin/virt-operator", embedded.File);
        Assert.Equal(["quay.io/kubevirt/virt-template-apiserver:v0.2.9", "quay.io/kubevirt/virt-template-controller:v0.2.9"], embedded.Images);

        // --locked: what the binary embeds comes from the lock; the registry answers only blobs.
        AssertOk(await Work.BuildAsync("--locked"));
        var inventory = BundleReader.ReadSummary(Work.Output).Inventory;
        foreach (var name in new[] { "virt-template-apiserver", "virt-template-controller" })
        {
            Assert.Equal("kubevirt-embedded", inventory.Images.Single(i => i.Reference == $"{Registry.Host}/kubevirt/{name}:v0.2.9").FoundBy);
        }
        Assert.All(Derived, name => Assert.Contains(inventory.Images, i => i.Reference == $"{Registry.Host}/kubevirt/{name}:v1.9.7"));

        // Without a lock, build reads the binary itself and records what it found.
        File.Delete(Work.Lock);
        AssertOk(await Work.BuildAsync());
        Assert.Contains(BundleReader.ReadSummary(Work.Output).Inventory.Images, i => i.Reference == $"{Registry.Host}/kubevirt/virt-template-controller:v0.2.9");
        Assert.Single(LockFile.Load(Work.Lock).Embedded);
    }

    /// <summary>
    /// KubeVirt v1.9.7 asked for by version from a release mirror on 127.0.0.1: v1.9.0's release files
    /// (kubevirt-operator.yaml with its tags moved, kubevirt-cr.yaml, virtctl) and its feature-gates.json
    /// (tools/feature-gate-report at v1.9.0) changed by <paramref name="change"/>; every image the operator could start pushed.
    /// </summary>
    private async Task<TestFileServer> PublishV197Async(Action<JsonArray> change, string featureGates = "[]")
    {
        var server = await TestFileServer.StartAsync();
        const string release = "github.com/kubevirt/kubevirt/releases/download/v1.9.7/";
        server.Files[release + "kubevirt-operator.yaml"] = Encoding.UTF8.GetBytes(ReleaseFixtures.Read("kubevirt-v1.9.0-kubevirt-operator.yaml")
            .Replace("quay.io/kubevirt/", $"{Registry.Host}/kubevirt/", StringComparison.Ordinal).Replace("v1.9.0", "v1.9.7", StringComparison.Ordinal));
        server.Files[release + "kubevirt-cr.yaml"] = Encoding.UTF8.GetBytes(ReleaseFixtures.Read("kubevirt-v1.9.0-kubevirt-cr.yaml"));
        server.Files[release + "virtctl-v1.9.7-linux-amd64"] = RandomNumberGenerator.GetBytes(20_000);
        var gates = JsonNode.Parse(ReleaseFixtures.Read(ReleaseFixtures.KubeVirtFeatureGatesJson))!.AsArray();
        change(gates);
        server.Files[release + "feature-gates.json"] = Encoding.UTF8.GetBytes(gates.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
        await Pusher.PushAsync("kubevirt/virt-operator", "v1.9.7", VirtOperatorStandIn.Image("v0.2.9", "gates"));
        foreach (var name in Derived.Append("virt-synchronization-controller"))
        {
            await Pusher.PushAsync($"kubevirt/{name}", "v1.9.7", TestImages.Image($"gates/{name}", layers: 1, layerSize: 2048));
        }
        foreach (var name in new[] { "virt-template-apiserver", "virt-template-controller" })
        {
            await Pusher.PushAsync($"kubevirt/{name}", "v0.2.9", TestImages.Image($"gates/{name}", layers: 1, layerSize: 2048));
        }
        File.WriteAllText(Work.Spec, $"""
            apiVersion: kargo.dev/v1alpha1
            kind: Bundle
            metadata: {"{"}name: never-seen-gates, version: 1.0.0{"}"}
            spec:
              platforms: [linux/amd64]
              kubevirt:
                version: v1.9.7
                featureGates: {featureGates}

            """);
        return server;
    }

    private static void Remove(JsonArray gates, string name) => gates.Remove(gates.Single(g => (string)g!["name"]! == name));

    [Fact]
    public async Task A_gate_the_constants_call_alpha_that_the_releases_feature_gates_json_leaves_out_as_ga_brings_its_image_without_the_gate()
    {
        // tools/feature-gate-report leaves GA gates out: v1.9.7's report, with DecentralizedLiveMigration graduated, no longer names it.
        await using var server = await PublishV197Async(gates => Remove(gates, "DecentralizedLiveMigration"));
        var mirror = server.Url("mirror");

        var locked = AssertOk(await Work.LockAsync("--release-mirror", mirror));

        Assert.Contains($"{Registry.Host}/kubevirt/virt-synchronization-controller:v1.9.7", locked.Stdout);
        Assert.Contains($"{Registry.Host}/kubevirt/virt-template-controller:v0.2.9", locked.Stdout);
        var lockFile = LockFile.Load(Work.Lock);
        Assert.Contains(lockFile.Files, f => f.Url == $"{mirror}/github.com/kubevirt/kubevirt/releases/download/v1.9.7/feature-gates.json");
        Assert.Contains(lockFile.Images, i => i.Reference == $"{Registry.Host}/kubevirt/virt-synchronization-controller:v1.9.7");

        // lock --plan reads the pinned report from the cache.
        var plan = AssertOk(await Work.LockAsync("--release-mirror", mirror, "--plan"));
        Assert.Contains($"{Registry.Host}/kubevirt/virt-synchronization-controller:v1.9.7", plan.Stdout);

        AssertOk(await Work.BuildAsync("--release-mirror", mirror, "--locked"));
        var inventory = BundleReader.ReadSummary(Work.Output).Inventory;
        Assert.Contains(inventory.Images, i => i.Reference == $"{Registry.Host}/kubevirt/virt-synchronization-controller:v1.9.7");
        Assert.Contains(inventory.Entries, e => e.Path == "files/kubevirt-feature-gates.json");
        Assert.DoesNotContain(inventory.Entries, e => e.Path.StartsWith("manifests/", StringComparison.Ordinal) && e.Path.EndsWith(".json", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_gate_the_releases_feature_gates_json_calls_alpha_keeps_its_images_out_until_the_spec_names_it()
    {
        // The constants call Template Beta from v1.9.0; this release's report says Alpha.
        await using var server = await PublishV197Async(gates => gates.Single(g => (string)g!["name"]! == "Template")!["state"] = "Alpha");
        var mirror = server.Url("mirror");

        var locked = AssertOk(await Work.LockAsync("--release-mirror", mirror));

        Assert.DoesNotContain("virt-template", locked.Stdout);
        Assert.DoesNotContain("virt-synchronization-controller", locked.Stdout);
        Assert.Contains($"{Registry.Host}/kubevirt/virt-exportproxy:v1.9.7", locked.Stdout);

        File.WriteAllText(Work.Spec, File.ReadAllText(Work.Spec).Replace("featureGates: []", "featureGates: [Template]", StringComparison.Ordinal));
        var asked = AssertOk(await Work.LockAsync("--release-mirror", mirror));
        Assert.Contains($"{Registry.Host}/kubevirt/virt-template-apiserver:v0.2.9", asked.Stdout);
        Assert.Contains($"{Registry.Host}/kubevirt/virt-template-controller:v0.2.9", asked.Stdout);
    }

    [Fact]
    public async Task A_malformed_feature_gates_json_stops_lock_naming_the_file_and_the_fix()
    {
        await using var server = await PublishV197Async(_ => { });
        server.Files["github.com/kubevirt/kubevirt/releases/download/v1.9.7/feature-gates.json"] = "| Feature Gate | State |\n|---|---|\n"u8.ToArray();

        var locked = await Work.LockAsync("--release-mirror", server.Url("mirror"));

        Assert.NotEqual(0, locked.ExitCode);
        Assert.Contains($"{server.Url("mirror")}/github.com/kubevirt/kubevirt/releases/download/v1.9.7/feature-gates.json: not a feature-gates.json", locked.Stderr);
        Assert.Contains("then lock again", locked.Stderr);
    }

    [Fact]
    public async Task An_operator_image_without_the_binary_is_refused_naming_the_image_the_file_and_the_fix()
    {
        File.WriteAllText(Work["kubevirt-operator.yaml"], ReleaseFixtures.Read("kubevirt-v1.9.0-kubevirt-operator.yaml")
            .Replace("quay.io/kubevirt/", $"{Registry.Host}/kubevirt/", StringComparison.Ordinal).Replace("v1.9.0", "v1.9.8", StringComparison.Ordinal));
        await Pusher.PushAsync("kubevirt/virt-operator", "v1.9.8", TestImages.Image("no-binary", layers: 1, layerSize: 2048));
        File.WriteAllText(Work.Spec, """
            apiVersion: kargo.dev/v1alpha1
            kind: Bundle
            metadata: {name: no-binary, version: 1.0.0}
            spec:
              platforms: [linux/amd64]
              manifests: [kubevirt-operator.yaml]

            """);

        var locked = await Work.LockAsync();

        Assert.NotEqual(0, locked.ExitCode);
        Assert.Contains($"{Registry.Host}/kubevirt/virt-operator:v1.9.8", locked.Stderr);
        Assert.Contains("has no /usr/bin/virt-operator", locked.Stderr);
        Assert.Contains("virtTemplateDeployment.enabled: false", locked.Stderr);
    }
}
