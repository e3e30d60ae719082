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
