using Kargo.Airgap.Tests.Infrastructure;
using static Kargo.Airgap.Tests.Infrastructure.Cli;

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
        Assert.Contains("https://github.com/kubevirt/kubevirt/releases/download/v1.9.0/feature-gates.json", report.Urls);
        // The release's feature-gates.json travels as a file (install applies manifests/ only).
        Assert.Contains(Kargo.Airgap.Bundle.BundleReader.ReadSummary(rehearsal.Bundle).Inventory.Entries, e => e.Path == "files/kubevirt-feature-gates.json");
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
        // VMExport is GA and Template Beta in v1.9.0's feature-gates.json; DecentralizedLiveMigration is Alpha and not asked for.
        Assert.Contains("quay.io/kubevirt/virt-exportproxy:v1.9.0", report.Images);
        Assert.Contains("quay.io/kubevirt/virt-template-apiserver:v0.2.2", report.Images);
        Assert.DoesNotContain("quay.io/kubevirt/virt-synchronization-controller:v1.9.0", report.Images);
        Assert.Equal(report.Images.Count, report.Pulled);
        Assert.DoesNotContain("127.0.0.1", string.Join("\n", report.Images));
        Assert.Contains($"all {report.Pulled} images pulled", report.Text);
    }
}

/// <summary>
/// The reference bundle installed onto a REAL kube-apiserver while <see cref="StandInCluster"/>'s
/// controllers act as the operators do: in one run to every component ready, the br0 NAD and the
/// example VMs present; a re-run changes nothing; and afterwards nothing the cluster names would be
/// pulled from outside — until an image is taken out of the node's registry.
/// </summary>
public sealed class ReferenceInstallTests : IAsyncLifetime
{
    private RealApiServer _server = null!;

    public async Task InitializeAsync() => _server = await RealApiServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task The_reference_bundle_installs_onto_a_real_api_server_in_one_run_and_nothing_would_be_pulled_from_outside()
    {
        await using var cluster = StandInCluster.Start(_server.Kubeconfig);
        await using var rehearsal = new ReferenceRehearsal { Kubeconfig = _server.Kubeconfig };

        await rehearsal.RunAsync();

        using var api = Kargo.Airgap.Install.Kubernetes.KubeApi.FromKubeconfig(_server.Kubeconfig);
        async Task<System.Text.Json.Nodes.JsonNode?> Get(string path) => await api.GetAsync(path, CancellationToken.None);
        Assert.NotNull(await Get("/apis/k8s.cni.cncf.io/v1/namespaces/default/network-attachment-definitions/br0"));
        Assert.NotNull(await Get("/apis/kubevirt.io/v1/namespaces/default/virtualmachines/ubuntu-nat"));
        Assert.NotNull(await Get("/apis/kubevirt.io/v1/namespaces/default/virtualmachines/fedora-bridge"));
        foreach (var path in new[] { "/apis/kubevirt.io/v1/namespaces/kubevirt/kubevirts/kubevirt", "/apis/cdi.kubevirt.io/v1beta1/cdis/cdi",
            "/apis/networkaddonsoperator.network.kubevirt.io/v1/networkaddonsconfigs/cluster", "/apis/hostpathprovisioner.kubevirt.io/v1beta1/hostpathprovisioners/hostpath-provisioner" })
        {
            Assert.Contains((await Get(path))!["status"]!["conditions"]!.AsArray(), c => c!["type"]!.ToString() == "Available" && c["status"]!.ToString() == "True");
        }
        var before = (await Get("/apis/kubevirt.io/v1/namespaces/kubevirt/kubevirts/kubevirt"))!["metadata"]!["resourceVersion"]!.ToString();

        AssertOk(await rehearsal.InstallAsync());
        Assert.Equal(before, (await Get("/apis/kubevirt.io/v1/namespaces/kubevirt/kubevirts/kubevirt"))!["metadata"]!["resourceVersion"]!.ToString());

        // Everything the cluster names is served by the node's registry through the mirrors install wrote.
        var layout = Path.Combine(rehearsal.Root, "var/lib/kargo/registry");
        await using (await Kargo.Airgap.Registry.RegistryServer.StartAsync(await Kargo.Airgap.Registry.LayoutCatalog.LoadAsync(layout), new Kargo.Airgap.Registry.ServerOptions { Address = rehearsal.Address }))
        {
            var check = await OfflineAsync("check", "--root", rehearsal.Root, "--kubeconfig", _server.Kubeconfig);
            Assert.True(check.ExitCode == 0, check.Stdout + check.Stderr);
            Assert.Contains("quay.io/kubevirt/virt-operator:v1.9.0", check.Stdout);
        }
        // virt-operator's image taken out of the registry: the check names it and who names it.
        var index = Path.Combine(layout, "oci/index.json");
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(index))!;
        var manifests = json["manifests"]!.AsArray();
        manifests.Remove(manifests.First(m => m!["annotations"]?["org.opencontainers.image.ref.name"]?.ToString() == "quay.io/kubevirt/virt-operator:v1.9.0"));
        File.WriteAllText(index, json.ToJsonString());
        await using (await Kargo.Airgap.Registry.RegistryServer.StartAsync(await Kargo.Airgap.Registry.LayoutCatalog.LoadAsync(layout), new Kargo.Airgap.Registry.ServerOptions { Address = rehearsal.Address }))
        {
            var check = await OfflineAsync("check", "--root", rehearsal.Root, "--kubeconfig", _server.Kubeconfig);
            Assert.Equal(1, check.ExitCode);
            Assert.Contains("quay.io/kubevirt/virt-operator:v1.9.0", check.Stdout + check.Stderr);
            Assert.Contains("virt-operator", check.Stdout + check.Stderr);
        }
    }
}
