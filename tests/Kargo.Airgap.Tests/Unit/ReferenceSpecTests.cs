using Kargo.Airgap.Sources;
using Kargo.Airgap.Sources.Releases;
using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Tests.Unit;

/// <summary>The committed reference spec loads, expands and names only files that exist.</summary>
public sealed class ReferenceSpecTests
{
    private static string Root([System.Runtime.CompilerServices.CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", ".."));

    [Fact]
    public void Kargo_homelab_holds_the_platform_kargo_applies()
    {
        var spec = new ReleaseCatalog(null).Expand(SpecLoader.Load(Path.Combine(Root(), "bundle-specs", "kargo-homelab.yaml")));

        Assert.Equal(["k3s", "kubevirt", "cdi"], spec.Components.Select(c => c.Name));
        var manifests = spec.Manifests.Select(m => m.Name).ToList();
        foreach (var name in new[] { "kubevirt-operator.yaml", "kubevirt-cr.yaml", "cdi-operator.yaml", "cdi-cr.yaml", "cert-manager.yaml", "cnao-operator.yaml", "network-addons-config.yaml", "hpp-operator.yaml", "hostpath-provisioner.yaml", "vm-ubuntu-nat.yaml", "vm-fedora-bridge.yaml" })
        {
            Assert.Contains(name, manifests);
        }
        Assert.Contains(spec.Files, f => f.Name == "virtctl-linux-amd64");
        // KubeVirt v1.9.0 publishes feature-gates.json (automation/release.sh): a file of the bundle, never a manifest to apply.
        Assert.Contains(spec.Files, f => f.Name == "kubevirt-feature-gates.json" && f.Source == "https://github.com/kubevirt/kubevirt/releases/download/v1.9.0/feature-gates.json");
        Assert.DoesNotContain(spec.Manifests, m => m.Source.EndsWith("feature-gates.json", StringComparison.Ordinal));
        Assert.Contains(spec.Files, f => f.Name == "k3s-selinux-1.6-1.el8.noarch.rpm" && f.Source == "https://github.com/k3s-io/k3s-selinux/releases/download/v1.6.stable.1/k3s-selinux-1.6-1.el8.noarch.rpm");
        Assert.Contains(spec.Files, f => f.Name == "k3s-airgap-images-amd64.tar.zst" && f.Source == "https://github.com/k3s-io/k3s/releases/download/v1.35.6%2Bk3s1/k3s-airgap-images-amd64.tar.zst");
        Assert.Equal("hostpath-provisioner", spec.Manifests.Single(m => m.Name == "hpp-operator.yaml").Namespace);
        // A dated Ubuntu build and a supported Fedora: neither path moves under the lock.
        Assert.Matches(@"/releases/noble/release-[0-9]{8}/", spec.VmImages[0].Download.Source);
        Assert.DoesNotContain("/releases/40/", spec.VmImages[1].Download.Source);
        Assert.Equal(["ubuntu", "fedora"], spec.VmImages.Select(v => v.Name));

        // Local manifests exist, parse, and name no image the bundle would have to find elsewhere:
        // the VMs' containerDisks are the ones spec.vmImages wraps here.
        var wrapped = spec.VmImages.Select(v => v.Image.ToString()).ToList();
        foreach (var local in spec.Manifests.Where(m => !m.IsUrl))
        {
            var path = Path.Combine(Root(), "bundle-specs", local.Source);
            Assert.True(File.Exists(path), path);
            Assert.All(ManifestImages.Discover(File.ReadAllText(path), local.Name), found => Assert.Contains(found.Reference.ToString(), wrapped));
        }
        var vms = string.Concat(spec.Manifests.Where(m => m.Name.StartsWith("vm-", StringComparison.Ordinal)).Select(m => File.ReadAllText(Path.Combine(Root(), "bundle-specs", m.Source))));
        Assert.Contains("kargo.local/vm/ubuntu:24.04", vms);
        Assert.Contains("kargo.local/vm/fedora:43", vms);
    }
}
