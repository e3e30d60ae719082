using System.Text.Json.Nodes;
using Kargo.Airgap.Install.Kubernetes;
using Kargo.Airgap.Install.Steps;
using Kargo.Airgap.Tests.Infrastructure;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>
/// The platform's manifests — the release fixtures of the reference spec's versions and its own
/// kargo-homelab/ objects — converged onto a REAL kube-apiserver while <see cref="StandInCluster"/>'s
/// controllers act as the real operators do: kinds registered only after their CRs, webhooks that
/// refuse until their certificates are issued. Shuffled, in any order, it must converge.
/// </summary>
public sealed class ConvergeTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private RealApiServer _server = null!;

    /// <summary>The reference spec's manifests in its order, with the namespace its spec.manifests entry gives (hpp-operator.yaml).</summary>
    private static readonly (string File, string? Namespace)[] Manifests =
    [
        (ReleaseFixtures.Path("kubevirt-v1.9.0-kubevirt-operator.yaml"), null),
        (ReleaseFixtures.Path("kubevirt-v1.9.0-kubevirt-cr.yaml"), null),
        (ReleaseFixtures.Path("cdi-v1.66.0-cdi-operator.yaml"), null),
        (ReleaseFixtures.Path("cdi-v1.66.0-cdi-cr.yaml"), null),
        (ReleaseFixtures.Path("cert-manager-v1.21.1-cert-manager.yaml"), null),
        (ReleaseFixtures.Path("cnao-v0.102.0-namespace.yaml"), null),
        (ReleaseFixtures.Path("cnao-v0.102.0-network-addons-config.crd.yaml"), null),
        (ReleaseFixtures.Path("cnao-v0.102.0-operator.yaml"), null),
        (HomelabFile("network-addons-config.yaml"), null),
        (ReleaseFixtures.Path("hpp-v0.25.2-namespace.yaml"), null),
        (ReleaseFixtures.Path("hpp-v0.25.2-webhook.yaml"), null),
        (ReleaseFixtures.Path("hpp-v0.25.2-operator.yaml"), "hostpath-provisioner"),
        (HomelabFile("hostpath-provisioner.yaml"), null),
        (HomelabFile("br0-network.yaml"), null),
        (HomelabFile("vm-ubuntu-nat.yaml"), null),
        (HomelabFile("vm-fedora-bridge.yaml"), null),
    ];

    private static string HomelabFile(string name) => Path.Combine(PublishedOffline.RepositoryRoot, "bundle-specs", "kargo-homelab", name);

    public async Task InitializeAsync() => _server = await RealApiServer.StartAsync();

    private static List<ManifestObject> Objects(int? seed)
    {
        var files = Manifests.ToList();
        var random = seed is { } s ? new Random(s) : null;
        if (random is not null)
        {
            files = [.. files.OrderBy(_ => random.Next())];
        }
        var objects = files.SelectMany(f =>
        {
            var inFile = ManifestObject.Read(f.File, f.Namespace).ToList();
            return random is null ? inFile : [.. inFile.OrderBy(_ => random.Next())];
        });
        return [.. objects];
    }

    private Task<(List<string> Log, JsonNode? Kubevirt)> ConvergeAsync(List<ManifestObject> objects, TimeSpan timeout) =>
        ConvergeAsync(objects, timeout, new(["Snapshot", "LiveMigration"], Emulation: true, InsecureRegistry: "10.0.0.1:5000"));

    private async Task<(List<string> Log, JsonNode? Kubevirt)> ConvergeAsync(List<ManifestObject> objects, TimeSpan timeout, Kargo.Airgap.Sources.Releases.NodeSettings node)
    {
        using var api = KubeApi.FromKubeconfig(_server.Kubeconfig);
        var log = new List<string>();
        var settings = new PlatformSettings(node).For(objects);
        var applier = new ConvergingApplier(api, l => { lock (log) { log.Add(l); } }, timeout) { PollInterval = TimeSpan.FromMilliseconds(300) };
        await applier.ApplyAsync(objects, settings, CancellationToken.None);
        await new ComponentReadiness(api, l => { lock (log) { log.Add(l); } }, timeout) { PollInterval = TimeSpan.FromMilliseconds(300) }
            .WaitAsync(ComponentReadiness.SignalsOf(objects), CancellationToken.None);
        return (log, await api.GetAsync("/apis/kubevirt.io/v1/namespaces/kubevirt/kubevirts/kubevirt", CancellationToken.None));
    }

    [Theory]
    [InlineData(null)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task The_reference_platform_converges_in_any_order_against_a_real_api_server(int? seed)
    {
        await using var cluster = StandInCluster.Start(_server.Kubeconfig);
        var objects = Objects(seed);

        var (log, kubevirt) = await ConvergeAsync(objects, TimeSpan.FromMinutes(2));

        using var api = KubeApi.FromKubeconfig(_server.Kubeconfig);
        async Task<JsonNode?> Get(string path) => await api.GetAsync(path, CancellationToken.None);
        // Kinds the operators register at run time, and what needed a certificate first, are all there.
        Assert.NotNull(await Get("/apis/k8s.cni.cncf.io/v1/namespaces/default/network-attachment-definitions/br0"));
        Assert.NotNull(await Get("/apis/kubevirt.io/v1/namespaces/default/virtualmachines/ubuntu-nat"));
        Assert.NotNull(await Get("/apis/kubevirt.io/v1/namespaces/default/virtualmachines/fedora-bridge"));
        Assert.NotNull(await Get("/apis/hostpathprovisioner.kubevirt.io/v1beta1/hostpathprovisioners/hostpath-provisioner"));
        foreach (var path in new[] { "/apis/cdi.kubevirt.io/v1beta1/cdis/cdi", "/apis/networkaddonsoperator.network.kubevirt.io/v1/networkaddonsconfigs/cluster", "/apis/hostpathprovisioner.kubevirt.io/v1beta1/hostpathprovisioners/hostpath-provisioner" })
        {
            Assert.Contains((await Get(path))!["status"]!["conditions"]!.AsArray(), c => c!["type"]!.ToString() == "Available" && c["status"]!.ToString() == "True");
        }
        Assert.Equal("Deployed", kubevirt!["status"]!["phase"]!.ToString());
        // The HPP CR could only pass its webhook after cert-manager issued the operator's certificate.
        var events = cluster.Events.ToList();
        Assert.True(events.IndexOf("cert-manager issued Certificate hostpath-provisioner/hostpath-provisioner-operator-webhook-service-cert")
            < events.IndexOf("hostpath-provisioner-operator reports HostPathProvisioner hostpath-provisioner Available"), string.Join("\n", events));
        Assert.Contains(log, l => l.Contains("webhook validate-hostpath-provisioner.kubevirt.io", StringComparison.Ordinal) || l.Contains("HostPathProvisioner", StringComparison.Ordinal));
        // kargo's gates added to the CR's own list, its settings manager beside the upstream CR's.
        Assert.Equal(["Snapshot", "LiveMigration"], kubevirt["spec"]!["configuration"]!["developerConfiguration"]!["featureGates"]!.AsArray().Select(g => g!.ToString()));
    }

    [Fact]
    public async Task A_re_run_changes_nothing_and_keeps_the_gates_a_user_set_unless_they_disabled_them()
    {
        await using var cluster = StandInCluster.Start(_server.Kubeconfig);
        var objects = Objects(null);
        await ConvergeAsync(objects, TimeSpan.FromMinutes(2));
        using var api = KubeApi.FromKubeconfig(_server.Kubeconfig);
        const string Path = "/apis/kubevirt.io/v1/namespaces/kubevirt/kubevirts/kubevirt";
        // A user adds a gate and disables one of kargo's, with kubectl (a manager of their own).
        await api.ApplyAsync(Path, """
            {"apiVersion": "kubevirt.io/v1", "kind": "KubeVirt", "metadata": {"name": "kubevirt", "namespace": "kubevirt"},
             "spec": {"configuration": {"developerConfiguration": {"featureGates": ["Snapshot", "LiveMigration", "Sidecar"], "disabledFeatureGates": ["LiveMigration"]}}}}
            """, "kubectl", CancellationToken.None);
        var before = await ResourceVersionsAsync(api, objects);

        var (_, kubevirt) = await ConvergeAsync(objects, TimeSpan.FromMinutes(1));
        var (_, again) = await ConvergeAsync(objects, TimeSpan.FromMinutes(1));

        Assert.Equal(["Snapshot", "Sidecar"], kubevirt!["spec"]!["configuration"]!["developerConfiguration"]!["featureGates"]!.AsArray().Select(g => g!.ToString()));
        Assert.Equal(kubevirt["metadata"]!["resourceVersion"]!.ToString(), again!["metadata"]!["resourceVersion"]!.ToString());
        var after = await ResourceVersionsAsync(api, objects);
        var moved = before.Where(b => b.Key != Path && after[b.Key] != b.Value).Select(b => b.Key).ToList();
        Assert.True(moved.Count == 0, "a re-run moved: " + string.Join(", ", moved));
    }

    [Fact]
    public async Task A_newer_bundle_takes_back_what_kargo_added_before_and_no_longer_adds_and_keeps_the_rest()
    {
        await using var cluster = StandInCluster.Start(_server.Kubeconfig);
        var objects = Objects(null);
        await ConvergeAsync(objects, TimeSpan.FromMinutes(2), new(["Snapshot", "ExpandDisks"], Emulation: false, InsecureRegistry: "10.0.0.1:5000"));
        using var api = KubeApi.FromKubeconfig(_server.Kubeconfig);
        await api.ApplyAsync("/apis/kubevirt.io/v1/namespaces/kubevirt/kubevirts/kubevirt", """
            {"apiVersion": "kubevirt.io/v1", "kind": "KubeVirt", "metadata": {"name": "kubevirt", "namespace": "kubevirt"},
             "spec": {"configuration": {"developerConfiguration": {"featureGates": ["Snapshot", "ExpandDisks", "Sidecar"]}}}}
            """, "kubectl", CancellationToken.None);

        // The next bundle drops ExpandDisks; the node's registry moved.
        var (_, kubevirt) = await ConvergeAsync(objects, TimeSpan.FromMinutes(1), new(["Snapshot"], Emulation: false, InsecureRegistry: "10.0.0.2:5000"));

        Assert.Equal(["Snapshot", "Sidecar"], kubevirt!["spec"]!["configuration"]!["developerConfiguration"]!["featureGates"]!.AsArray().Select(g => g!.ToString()));
        var cdi = await api.GetAsync("/apis/cdi.kubevirt.io/v1beta1/cdis/cdi", CancellationToken.None);
        Assert.Equal(["10.0.0.2:5000"], cdi!["spec"]!["config"]!["insecureRegistries"]!.AsArray().Select(r => r!.ToString()));
    }

    [Fact]
    public async Task Without_its_operator_a_kind_waits_and_the_timeout_names_the_object_and_who_registers_it()
    {
        // No stand-in controllers: nothing registers NetworkAttachmentDefinition, no webhook serves.
        var objects = Objects(null);

        var stuck = await Assert.ThrowsAsync<KargoException>(() => ConvergeAsync(objects, TimeSpan.FromSeconds(5)));

        Assert.Contains("nothing more could be applied for 5 s", stuck.Message);
        // Kinds: who registers them, read from the operators' RBAC, and the CR that makes them act.
        Assert.Contains("NetworkAttachmentDefinition default/br0 (br0-network.yaml:2): the cluster does not serve k8s.cni.cncf.io/v1 NetworkAttachmentDefinition yet: registered at run time by Deployment cluster-network-addons/cluster-network-addons-operator", stuck.Message);
        Assert.Contains("once it sees NetworkAddonsConfig cluster (applied)", stuck.Message);
        Assert.Contains("VirtualMachine default/ubuntu-nat (vm-ubuntu-nat.yaml:2): the cluster does not serve kubevirt.io/v1 VirtualMachine yet: registered at run time by Deployment kubevirt/virt-operator", stuck.Message);
        Assert.Contains("once it sees KubeVirt kubevirt/kubevirt (applied)", stuck.Message);
        // Webhooks: cert-manager's refuses the HPP certificate, HPP's own refuses its CR; the rest went on.
        Assert.Contains("Certificate hostpath-provisioner/hostpath-provisioner-operator-webhook-service-cert (hpp-v0.25.2-webhook.yaml:12): webhook webhook.cert-manager.io (at cert-manager-webhook.cert-manager.svc:443) does not answer yet", stuck.Message);
        Assert.Contains("HostPathProvisioner hostpath-provisioner (hostpath-provisioner.yaml:2): webhook validate-hostpath-provisioner.kubevirt.io (at hostpath-provisioner-operator-webhook-service.hostpath-provisioner.svc:443) does not answer yet", stuck.Message);
        Assert.Contains("StorageClass hostpath-csi", string.Join("\n", objects.Select(o => o.ToString())));
        Assert.DoesNotContain("StorageClass", stuck.Message);
        Assert.DoesNotContain("is its operator running", stuck.Message);
    }

    private static async Task<Dictionary<string, string>> ResourceVersionsAsync(KubeApi api, List<ManifestObject> objects)
    {
        var types = await ResourceTypes.DiscoverAsync(api, CancellationToken.None);
        var versions = new Dictionary<string, string>();
        foreach (var o in objects)
        {
            var type = types.Find(o.ApiVersion, o.Kind)!;
            var path = type.PathOf(o.Name, o.NamespaceWhen(type.Namespaced));
            versions[path] = (await api.GetAsync(path, CancellationToken.None))!["metadata"]!["resourceVersion"]!.ToString();
        }
        return versions;
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }
}
