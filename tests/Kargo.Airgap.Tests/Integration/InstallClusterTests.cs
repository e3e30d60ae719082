using System.Net;
using Kargo.Airgap.Install;
using Kargo.Airgap.Install.Kubernetes;
using Kargo.Airgap.Tests.Infrastructure;
using static Kargo.Airgap.Tests.Infrastructure.Cli;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>
/// The platform and VM steps against <see cref="KubernetesApiDouble"/>, a faithful double of the
/// API server (no real one runs here): order, waits, settings, and what a timeout reports.
/// </summary>
public sealed class InstallClusterTests(PlatformBundleFixture bundle) : IClassFixture<PlatformBundleFixture>, IDisposable
{
    private readonly TempDir _dir = new();

    private Task<ProcessResult> InstallAsync(KubernetesApiDouble api, params string[] extra) =>
        OfflineAsync(["install", bundle.Bundle, "--pub", bundle.Pub, "--root", _dir["node"], "--kubeconfig", api.Kubeconfig, .. extra]);

    [Fact]
    public async Task The_platform_is_applied_in_dependency_order_and_waited_for_then_the_vms()
    {
        await using var api = await KubernetesApiDouble.StartAsync();

        var result = AssertOk(await InstallAsync(api));

        var applies = api.Applies.ToList();
        int At(string apply) => applies.IndexOf(apply) is var i && i >= 0 ? i : throw new Xunit.Sdk.XunitException($"not applied: {apply}\n{string.Join("\n", applies)}");
        var kinds = applies.Select(a => a.Split(' ')[1]).ToList();
        // CRDs, then namespaces, then the operators' objects, then custom resources, then kargo's settings, then the VMs.
        Assert.Equal(6, kinds.TakeWhile(k => k == "CustomResourceDefinition").Count());
        Assert.Equal(["cdi", "cert-manager", "cluster-network-addons", "hostpath-provisioner", "kubevirt"], applies.Skip(6).Take(5).Select(a => a.Split(' ')[2]).Order(StringComparer.Ordinal));
        Assert.True(At("kargo Deployment virt-operator") < At("kargo KubeVirt kubevirt") && At("kargo Deployment cdi-operator") < At("kargo CDI cdi"));
        Assert.True(At("kargo Deployment hostpath-provisioner-operator") < At("kargo HostPathProvisioner hostpath-provisioner"));
        Assert.True(At("kargo Certificate hostpath-provisioner-operator-webhook-service-cert") > At("kargo Deployment cert-manager"));
        Assert.Equal("kargo VirtualMachine cirros", applies.Last());
        // HPP's operator.yaml names no namespace: its objects land where its spec.manifests entry says, not in default.
        Assert.NotNull(api.Get("/apis/apps/v1/namespaces/hostpath-provisioner/deployments/hostpath-provisioner-operator"));
        Assert.NotNull(api.Get("/api/v1/namespaces/hostpath-provisioner/serviceaccounts/hostpath-provisioner-operator"));
        Assert.NotNull(api.Get("/apis/rbac.authorization.k8s.io/v1/namespaces/hostpath-provisioner/rolebindings/hostpath-provisioner-operator"));
        Assert.DoesNotContain(api.Requests, r => r.Contains("/namespaces/default/", StringComparison.Ordinal) && !r.Contains("virtualmachines", StringComparison.Ordinal));
        // Never a custom resource before its CRD was Established: the double would have answered 404.
        Assert.DoesNotContain(api.Requests, r => r.StartsWith("PATCH", StringComparison.Ordinal) && !r.EndsWith(" 200", StringComparison.Ordinal));

        // The upstream CR and kargo's settings, merged as server-side apply merges two managers' fields.
        var kubevirt = api.Get("/apis/kubevirt.io/v1/namespaces/kubevirt/kubevirts/kubevirt")!;
        Assert.Equal("IfNotPresent", kubevirt["spec"]!["imagePullPolicy"]!.GetValue<string>());
        Assert.Equal("[\"Snapshot\",\"LiveMigration\"]", kubevirt["spec"]!["configuration"]!["developerConfiguration"]!["featureGates"]!.ToJsonString());
        var cdi = api.Get("/apis/cdi.kubevirt.io/v1beta1/cdis/cdi")!;
        Assert.EndsWith(":5000", cdi["spec"]!["config"]!["insecureRegistries"]![0]!.GetValue<string>());
        var vm = api.Get("/apis/kubevirt.io/v1/namespaces/default/virtualmachines/cirros")!;
        Assert.Equal("Halted", vm["spec"]!["runStrategy"]!.GetValue<string>());
        Assert.Equal("docker://kargo.local/vm/cirros:latest", vm["spec"]!["dataVolumeTemplates"]![0]!["spec"]!["source"]!["registry"]!["url"]!.GetValue<string>());
        Assert.Contains("ready: ", result.Stdout);
        Assert.Contains("KubeVirt kubevirt/kubevirt", result.Stdout);
    }

    [Fact]
    public async Task A_platform_that_never_becomes_available_times_out_with_its_conditions_and_failing_pods()
    {
        await using var api = await KubernetesApiDouble.StartAsync(a =>
        {
            a.NeverAvailable.Add("KubeVirt");
            a.AddFailingPod("kubevirt", "virt-api-7d9f", "quay.io/kubevirt/virt-api:v1.3.0", "ImagePullBackOff", "Back-off pulling image \"quay.io/kubevirt/virt-api:v1.3.0\"");
        });

        var result = await InstallAsync(api, "--timeout", "3s");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("step 'platform' failed: timed out after", result.Stderr);
        Assert.Contains("waiting for 1 object(s) to be ready", result.Stderr);
        Assert.Contains("KubeVirt kubevirt/kubevirt (kubevirt-cr.yaml:", result.Stderr);
        Assert.Contains("is not Available or Ready", result.Stderr);
        Assert.Contains("Available=False (DeploymentsNotReady): virt-api is not ready", result.Stderr);
        Assert.Contains("pod kubevirt/virt-api-7d9f is Pending", result.Stderr);
        Assert.Contains("virt-api-7d9f (quay.io/kubevirt/virt-api:v1.3.0): ImagePullBackOff: Back-off pulling image", result.Stderr);
        var state = InstallState.Load(_dir["node/var/lib/kargo/install-state.json"]);
        Assert.Equal(StepRecord.Failed, state.Steps.Single(s => s.Name == "platform").Status);
    }

    [Fact]
    public async Task A_custom_resource_applied_before_its_crd_is_established_is_refused()
    {
        await using var api = await KubernetesApiDouble.StartAsync();
        using var client = KubeApi.FromKubeconfig(api.Kubeconfig);
        await client.ApplyAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/cdis.cdi.kubevirt.io", """
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata: {name: cdis.cdi.kubevirt.io}
            spec:
              group: cdi.kubevirt.io
              names: {kind: CDI, plural: cdis}
              scope: Cluster
              versions: [{name: v1beta1, served: true, storage: true}]
            """, "kargo", CancellationToken.None);

        var refused = await Assert.ThrowsAsync<KubeApiException>(() =>
            client.ApplyAsync("/apis/cdi.kubevirt.io/v1beta1/cdis/cdi", "apiVersion: cdi.kubevirt.io/v1beta1\nkind: CDI\nmetadata: {name: cdi}\n", "kargo", CancellationToken.None));

        Assert.Equal(HttpStatusCode.NotFound, refused.Status);
        Assert.Contains("could not find the requested resource", refused.Message);
    }

    [Fact]
    public async Task A_kubeconfig_with_a_wrong_token_is_an_error_naming_the_answer()
    {
        await using var api = await KubernetesApiDouble.StartAsync();
        File.WriteAllText(_dir["bad-kubeconfig"], File.ReadAllText(api.Kubeconfig).Replace(KubernetesApiDouble.Token, "wrong", StringComparison.Ordinal));

        var result = await OfflineAsync("install", bundle.Bundle, "--pub", bundle.Pub, "--root", _dir["node"], "--kubeconfig", _dir["bad-kubeconfig"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("step 'platform' failed", result.Stderr);
        Assert.Contains("401 Unauthorized", result.Stderr);
        Assert.DoesNotContain("wrong", result.Stderr);
    }

    [Fact]
    public async Task A_kubeconfig_that_does_not_exist_fails_preflight()
    {
        var result = await OfflineAsync("install", bundle.Bundle, "--pub", bundle.Pub, "--root", _dir["node"], "--kubeconfig", _dir["missing.yaml"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"FAIL cluster: --kubeconfig {_dir["missing.yaml"]} does not exist", result.Stderr);
        Assert.False(Directory.Exists(_dir["node/var/lib/kargo/registry"]));
    }

    [Fact]
    public async Task Readiness_sees_a_ready_node_and_reports_what_keeps_an_object_from_available()
    {
        await using var api = await KubernetesApiDouble.StartAsync(a => a.AddFailingPod("cdi", "cdi-operator-1", "quay.io/kubevirt/cdi-operator:v1.59.0", "ErrImagePull", "not found"));
        using var client = KubeApi.FromKubeconfig(api.Kubeconfig);
        var log = new List<string>();
        var readiness = new ClusterReadiness(client, log.Add, TimeSpan.FromSeconds(1)) { PollInterval = TimeSpan.FromMilliseconds(100) };

        await readiness.WaitForNodeReadyAsync(CancellationToken.None);
        File.WriteAllText(_dir["cdi-cr.yaml"], "apiVersion: cdi.kubevirt.io/v1beta1\nkind: CDI\nmetadata: {name: cdi}\n");
        var cdi = ManifestObject.Read(_dir["cdi-cr.yaml"], "cdi").Single();
        var components = new ComponentReadiness(client, log.Add, TimeSpan.FromSeconds(1)) { PollInterval = TimeSpan.FromMilliseconds(100) };
        var missing = await Assert.ThrowsAsync<KargoException>(() => components.WaitAsync([new ReadinessSignal(cdi, "Available", _ => false)], CancellationToken.None));

        Assert.Contains("a Ready node: yes", log);
        Assert.Contains("timed out after", missing.Message);
        Assert.Contains("it does not exist", missing.Message);
        Assert.Contains("pod cdi/cdi-operator-1 is Pending", missing.Message);
        Assert.Contains("ErrImagePull: not found", missing.Message);
    }

    public void Dispose() => _dir.Dispose();
}
