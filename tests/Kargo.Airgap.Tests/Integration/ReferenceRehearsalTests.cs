using Kargo.Airgap.Tests.Infrastructure;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>
/// The rehearsal of bundle-specs/kargo-homelab.yaml (<see cref="ReferenceRehearsal"/>), which
/// scripts/rehearse.sh runs and prints: KARGO_REHEARSAL_REPORT names the file its report goes to.
/// </summary>
public sealed class ReferenceRehearsalTests
{
    [Fact]
    public async Task The_reference_bundle_builds_unchanged_verifies_installs_and_every_image_pulls_with_the_stand_ins_stopped()
    {
        await using var rehearsal = new ReferenceRehearsal();

        var report = await rehearsal.RunAsync();

        if (Environment.GetEnvironmentVariable("KARGO_REHEARSAL_REPORT") is { Length: > 0 } path)
        {
            File.WriteAllText(path, report.Text);
        }
        // The real URLs a build fetches, for a firewall's allow-list.
        Assert.Contains("https://github.com/k3s-io/k3s/releases/download/v1.35.6%2Bk3s1/k3s-airgap-images-amd64.tar.zst", report.Urls);
        Assert.Contains("https://github.com/kubevirt/cluster-network-addons-operator/releases/download/v0.102.0/operator.yaml", report.Urls);
        Assert.Contains("https://cloud-images.ubuntu.com/releases/noble/release-20260926/ubuntu-24.04-server-cloudimg-amd64.img", report.Urls);
        // Every image the platform's operators start, under its upstream name: what virt-operator v1.9.0 derives, and each rule's finds.
        foreach (var image in new[]
        {
            "quay.io/kubevirt/virt-operator:v1.9.0", "quay.io/kubevirt/virt-api:v1.9.0", "quay.io/kubevirt/virt-handler:v1.9.0", "quay.io/kubevirt/virt-launcher:v1.9.0",
            "quay.io/kubevirt/cdi-importer:v1.66.0", "quay.io/jetstack/cert-manager-acmesolver:v1.21.1", "quay.io/kubevirt/hostpath-csi-driver:latest",
            "registry.k8s.io/sig-storage/csi-snapshotter:v8.2.0",
        })
        {
            Assert.Contains(image, report.Images);
        }
        // HPP v0.25.2's published operator.yaml names its own three images by latest (its release.sh's sed never matched): lock says so for each, and only for those.
        Assert.Equal(
            ["quay.io/kubevirt/hostpath-csi-driver:latest", "quay.io/kubevirt/hostpath-provisioner-operator:latest", "quay.io/kubevirt/hostpath-provisioner:latest"],
            report.LatestWarnings.Select(w => w["warning: ".Length..w.IndexOf(' ', "warning: ".Length)]).Order(StringComparer.Ordinal));
        Assert.Contains(report.LatestWarnings, w => w.Contains("(manifests/hpp-operator.yaml: Deployment hostpath-provisioner-operator, container hostpath-provisioner-operator, variable CSI_PROVISIONER_IMAGE)", StringComparison.Ordinal));
        Assert.Contains(report.Images, i => i.StartsWith("ghcr.io/k8snetworkplumbingwg/multus-cni@sha256:", StringComparison.Ordinal));
        Assert.Contains(report.Images, i => i.StartsWith("kargo.local/vm/ubuntu:24.04", StringComparison.Ordinal));
        Assert.Equal(["ghcr.io", "kargo.local", "quay.io", "registry.k8s.io"], report.Hosts);
        Assert.Equal(report.Images.Count, report.Pulled);
        Assert.DoesNotContain("127.0.0.1", string.Join("\n", report.Images));
        Assert.Contains($"all {report.Pulled} images pulled", report.Text);
    }
}
