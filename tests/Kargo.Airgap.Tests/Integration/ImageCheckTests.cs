using System.Text.Json.Nodes;
using Kargo.Airgap.Install.Kubernetes;
using Kargo.Airgap.Registry;
using Kargo.Airgap.Tests.Infrastructure;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>
/// kargo-offline check against a real registry (CNCF distribution) behind the mirrors install writes
/// for k3s, and the API double serving the cluster's objects: workloads, an operator whose variables
/// name the images it starts, a VirtualMachine's containerDisk and a DataVolume's registry source.
/// </summary>
public sealed class ImageCheckTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private readonly TestRegistry _registry = new();
    private KubernetesApiDouble _api = null!;

    private string Root => _dir["node"];

    public async Task InitializeAsync()
    {
        _api = await KubernetesApiDouble.StartAsync();
        _api.Serve("kubevirt.io/v1", "virtualmachines", "VirtualMachine", namespaced: true);
        _api.Serve("cdi.kubevirt.io/v1beta1", "datavolumes", "DataVolume", namespaced: true);
        var seed = Guid.NewGuid().ToString("N");
        foreach (var (repository, tag) in new[] { ("kubevirt/cdi-operator", "v1"), ("kubevirt/cdi-importer", "v1"), ("library/busybox", "1"), ("containerdisks/fedora", "40"), ("vm/cirros", "latest") })
        {
            using var pusher = new TestPusher(_registry);
            await pusher.PushAsync(repository, tag, TestImages.Image($"check-{seed}-{repository}"));
        }
        // The mirrors install writes on a k3s node (K3sStep: registries.yaml through the local registry).
        Directory.CreateDirectory(Root);
        MirrorConfig.Write(["docker.io", "quay.io", "kargo.local"], new Uri($"http://{_registry.Host}/"), Root, null, runtime: NodeRuntime.K3s);

        _api.Put("/apis/apps/v1/namespaces/cdi/deployments/cdi-operator", "apps/v1", "Deployment", "cdi-operator", "cdi", new JsonObject(), spec: PodTemplate(new JsonObject
        {
            ["name"] = "cdi-operator",
            ["image"] = "quay.io/kubevirt/cdi-operator:v1",
            ["env"] = new JsonArray(new JsonObject { ["name"] = "IMPORTER_IMAGE", ["value"] = "quay.io/kubevirt/cdi-importer:v1" }),
        }));
        _api.Put("/api/v1/namespaces/default/pods/tools", "v1", "Pod", "tools", "default", new JsonObject(), spec: new JsonObject
        {
            ["initContainers"] = new JsonArray(new JsonObject { ["name"] = "wait", ["image"] = "busybox:1" }),
            ["containers"] = new JsonArray(new JsonObject { ["name"] = "main", ["image"] = "docker.io/library/busybox:1" }),
        });
        _api.Put("/apis/kubevirt.io/v1/namespaces/default/virtualmachines/fedora", "kubevirt.io/v1", "VirtualMachine", "fedora", "default", new JsonObject(), spec: new JsonObject
        {
            ["template"] = new JsonObject
            {
                ["spec"] = new JsonObject { ["volumes"] = new JsonArray(new JsonObject { ["name"] = "root", ["containerDisk"] = new JsonObject { ["image"] = "quay.io/containerdisks/fedora:40" } }) },
            },
        });
        _api.Put("/apis/cdi.kubevirt.io/v1beta1/namespaces/default/datavolumes/cirros", "cdi.kubevirt.io/v1beta1", "DataVolume", "cirros", "default", new JsonObject(), spec: new JsonObject
        {
            ["source"] = new JsonObject { ["registry"] = new JsonObject { ["url"] = "docker://kargo.local/vm/cirros:latest", ["pullMethod"] = "node" } },
        });
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        _registry.Dispose();
        _dir.Dispose();
    }

    private static JsonObject PodTemplate(JsonObject container) =>
        new() { ["template"] = new JsonObject { ["spec"] = new JsonObject { ["containers"] = new JsonArray(container) } } };

    private async Task<ImageCheckReport> CheckAsync()
    {
        using var api = KubeApi.FromKubeconfig(_api.Kubeconfig);
        return await ImageCheck.RunAsync(api, NodeMirrors.Read(Root), CancellationToken.None);
    }

    [Fact]
    public async Task Every_image_the_cluster_names_is_served_through_the_node_mirrors()
    {
        var report = await CheckAsync();

        Assert.True(report.Ok, string.Join("\n", report.Lines()));
        Assert.Equal(
            ["docker.io/library/busybox:1", "kargo.local/vm/cirros:latest", "quay.io/containerdisks/fedora:40", "quay.io/kubevirt/cdi-importer:v1", "quay.io/kubevirt/cdi-operator:v1"],
            report.Images.Select(i => i.Reference));
        Assert.All(report.Images, i => Assert.Equal(ImageState.Served, i.State));
        Assert.Equal(["Pod default/tools, container wait", "Pod default/tools, container main"], report.Images[0].NamedBy);
        Assert.Contains("Deployment cdi/cdi-operator, container cdi-operator, variable IMPORTER_IMAGE", report.Images.Single(i => i.Reference.EndsWith("cdi-importer:v1", StringComparison.Ordinal)).NamedBy);

        var cli = await Cli.OfflineAsync("check", "--root", Root, "--kubeconfig", _api.Kubeconfig);
        Assert.True(cli.ExitCode == 0, cli.Output);
        Assert.Contains($"OK      quay.io/containerdisks/fedora:40: served by http://{_registry.Host}; named by VirtualMachine default/fedora, volume root containerDisk", cli.Stdout);
        Assert.Contains("check: OK: all 5 image(s) that 4 object(s) name are served", cli.Stdout);
    }

    [Fact]
    public async Task An_image_removed_from_the_registry_fails_the_check_naming_it_and_what_names_it()
    {
        using var http = new HttpClient();
        var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"http://{_registry.Host}/v2/containerdisks/fedora/manifests/40")
        {
            Headers = { { "Accept", "application/vnd.oci.image.manifest.v1+json" } },
        });
        var digest = head.Headers.GetValues("Docker-Content-Digest").Single();
        Assert.True((await http.DeleteAsync($"http://{_registry.Host}/v2/containerdisks/fedora/manifests/{digest}")).IsSuccessStatusCode);

        var cli = await Cli.OfflineAsync("check", "--root", Root, "--kubeconfig", _api.Kubeconfig);

        Assert.Equal(1, cli.ExitCode);
        Assert.Contains($"OUTSIDE quay.io/containerdisks/fedora:40: not in http://{_registry.Host} (manifest 40 answers 404): it would be pulled from quay.io, outside; named by VirtualMachine default/fedora, volume root containerDisk", cli.Stdout);
        Assert.Contains("check: FAILED: 1 of 5 image(s) would be pulled from outside", cli.Stdout);
        var json = JsonNode.Parse((await Cli.OfflineAsync("check", "--root", Root, "--kubeconfig", _api.Kubeconfig, "--json")).Stdout)!;
        Assert.False(json["ok"]!.GetValue<bool>());
        Assert.Equal("missing", json["images"]!.AsArray().Single(i => i!["reference"]!.GetValue<string>() == "quay.io/containerdisks/fedora:40")!["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_image_of_a_host_without_a_mirror_or_fetched_by_the_importer_itself_fails_and_hostile_names_stay_printable()
    {
        _api.Put("/apis/batch/v1/namespaces/ops/cronjobs/backup", "batch/v1", "CronJob", "backup", "ops", new JsonObject(), spec: new JsonObject
        {
            ["jobTemplate"] = new JsonObject { ["spec"] = PodTemplate(new JsonObject { ["name"] = "backup", ["image"] = "ghcr.io/acme/backup:2" }) },
        });
        _api.Put("/apis/cdi.kubevirt.io/v1beta1/namespaces/default/datavolumes/direct", "cdi.kubevirt.io/v1beta1", "DataVolume", "direct", "default", new JsonObject(), spec: new JsonObject
        {
            ["source"] = new JsonObject { ["registry"] = new JsonObject { ["url"] = "docker://quay.io/containerdisks/fedora:40" } },
        });
        _api.Put("/api/v1/namespaces/default/pods/evil", "v1", "Pod", "evil", "default", new JsonObject(), spec: new JsonObject
        {
            ["containers"] = new JsonArray(new JsonObject { ["name"] = "x\u001b[2J", ["image"] = "quay.io/evil/x\u001b]0;pwned\u0007:1" }),
        });

        var report = await CheckAsync();
        var cli = await Cli.OfflineAsync("check", "--root", Root, "--kubeconfig", _api.Kubeconfig);

        Assert.False(report.Ok);
        var ghcr = report.Images.Single(i => i.Reference == "ghcr.io/acme/backup:2");
        Assert.Equal(ImageState.NoMirror, ghcr.State);
        Assert.Equal(["CronJob ops/backup, container backup"], ghcr.NamedBy);
        Assert.Contains(report.Images, i => i.Reference == "quay.io/containerdisks/fedora:40" && i.State == ImageState.Direct && i.NamedBy.Single() == "DataVolume default/direct, source.registry.url");
        Assert.Contains(report.Images, i => i.Reference == "quay.io/containerdisks/fedora:40" && i.State == ImageState.Served);
        Assert.Single(report.Problems, p => p.StartsWith("the images of Pod default/evil cannot be told", StringComparison.Ordinal));
        Assert.Equal(1, cli.ExitCode);
        Assert.Contains($"OUTSIDE ghcr.io/acme/backup:2: ghcr.io has no mirror in {Root}/etc/rancher/k3s/registries.yaml: pulled from ghcr.io; named by CronJob ops/backup, container backup", cli.Stdout);
        Assert.Contains("UNKNOWN the images of Pod default/evil cannot be told", cli.Stdout);
        Assert.DoesNotContain(cli.Stdout, c => char.IsControl(c) && c != '\n');
    }
}
