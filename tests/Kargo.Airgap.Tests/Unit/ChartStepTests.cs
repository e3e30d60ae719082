using Kargo.Airgap.Bundle;
using Kargo.Airgap.Install;
using Kargo.Airgap.Install.Steps;
using Kargo.Airgap.Tests.Infrastructure;

namespace Kargo.Airgap.Tests.Unit;

/// <summary>The charts step where the bundle brings no k3s: microk8s's helm3, or the node's helm with --kubeconfig; under --root, recorded.</summary>
public sealed class ChartStepTests : IDisposable
{
    private readonly TempDir _dir = new();
    private string Root => _dir["node"];

    private InstallContext Context(string? distribution)
    {
        var inventory = new Inventory
        {
            Name = "apps",
            Version = "1",
            Platforms = ["linux/amd64"],
            Components = distribution is null ? null : [new InventoryComponent(distribution, "1.30/stable", null)],
            Source = new InventorySource("spec/apps.yaml", "spec/images.lock"),
            Images = [],
            Entries = [new InventoryEntry("charts/web-1.2.3.tgz", 3, new string('a', 64)), new InventoryEntry("charts/web-1.2.3.values.yaml", 3, new string('b', 64))],
            Charts = [new InventoryChart { Name = "web", Version = "1.2.3", ReleaseName = "site", Namespace = "web", Archive = "charts/web-1.2.3.tgz", Values = "charts/web-1.2.3.values.yaml", FoundBy = "helm-template", Images = [] }],
        };
        Directory.CreateDirectory(Path.Combine(Root, "var/lib/kargo/registry/charts"));
        File.WriteAllText(Path.Combine(Root, "var/lib/kargo/registry/charts/web-1.2.3.tgz"), "tgz");
        File.WriteAllText(Path.Combine(Root, "var/lib/kargo/registry/charts/web-1.2.3.values.yaml"), "a: 1");
        var head = new VerifyReport { Bundle = "apps.kargo", Files = [], Inventory = inventory, Signature = SignatureState.Skipped, Failures = [] };
        return new InstallContext(new HostRoot(Root), inventory, head, _ => { });
    }

    private static InstallOptions Options(string? kubeconfig = null) => new() { Bundle = "apps.kargo", Kubeconfig = kubeconfig, Launcher = new RegistryLauncher(null, ["kargo-offline", "serve"]) };

    private string[] Recorded() => File.ReadAllLines(Path.Combine(Root, "var/lib/kargo/commands.log"));

    [Fact]
    public async Task On_microk8s_the_release_is_installed_by_its_helm3_from_the_unpacked_archive_with_the_values()
    {
        await new ChartStep(Options()).RunAsync(Context("microk8s"), CancellationToken.None);
        Assert.Equal(["microk8s helm3 upgrade --install site /var/lib/kargo/registry/charts/web-1.2.3.tgz --namespace web --create-namespace --wait --values /var/lib/kargo/registry/charts/web-1.2.3.values.yaml"], Recorded());
    }

    [Fact]
    public async Task Without_a_bundled_cluster_the_nodes_helm_installs_into_the_kubeconfigs_cluster()
    {
        await new ChartStep(Options("/root/.kube/config")).RunAsync(Context(null), CancellationToken.None);
        Assert.Equal(["helm upgrade --install site /var/lib/kargo/registry/charts/web-1.2.3.tgz --namespace web --create-namespace --wait --values /var/lib/kargo/registry/charts/web-1.2.3.values.yaml --kubeconfig /root/.kube/config"], Recorded());
    }

    [Fact]
    public async Task Under_root_without_a_cluster_nothing_is_installed_and_it_says_so()
    {
        var context = Context(null);
        await new ChartStep(Options()).RunAsync(context, CancellationToken.None);
        Assert.Equal(["web 1.2.3: not installed (--root, no --kubeconfig)"], context.Details);
        Assert.False(File.Exists(Path.Combine(Root, "var/lib/kargo/commands.log")));
    }

    public void Dispose() => _dir.Dispose();
}
