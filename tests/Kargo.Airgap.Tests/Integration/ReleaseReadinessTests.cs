using System.Text.Json.Nodes;
using Kargo.Airgap.Bundle;
using Kargo.Airgap.Install.Kubernetes;
using Kargo.Airgap.Tests.Infrastructure;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>
/// The charts step's wait on k3s, against the Kubernetes API double (no API server runs here): the
/// helm-install job k3s's Helm controller runs, then the release's workloads; the pod that keeps
/// one from being ready is named when the wait times out.
/// </summary>
public sealed class ReleaseReadinessTests : IAsyncLifetime
{
    private KubernetesApiDouble _api = null!;

    private static readonly InventoryChart Web = new()
    {
        Name = "web",
        Version = "1.2.3",
        ReleaseName = "site",
        Namespace = "web",
        Archive = "charts/web-1.2.3.tgz",
        FoundBy = "helm-template",
        Images = [],
    };

    private static readonly Dictionary<string, string> Site = new() { ["app.kubernetes.io/instance"] = "site" };

    public async Task InitializeAsync() => _api = await KubernetesApiDouble.StartAsync();

    public async Task DisposeAsync() => await _api.DisposeAsync();

    private async Task WaitAsync(TimeSpan timeout, List<string> log)
    {
        using var api = KubeApi.FromKubeconfig(_api.Kubeconfig);
        var readiness = new ClusterReadiness(api, log.Add, timeout) { PollInterval = TimeSpan.FromMilliseconds(50) };
        await new ReleaseReadiness(api, readiness).WaitAsync(Web, CancellationToken.None);
    }

    private void Deployment(string name, int ready, IReadOnlyDictionary<string, string> labels) =>
        _api.Put($"/apis/apps/v1/namespaces/web/deployments/{name}", "apps/v1", "Deployment", name, "web",
            // As the deployment controller writes it (pkg/controller/deployment/sync.go): every replica updated, `ready` of them ready and available.
            new JsonObject { ["replicas"] = 2, ["updatedReplicas"] = 2, ["readyReplicas"] = ready, ["availableReplicas"] = ready }, labels, new JsonObject { ["replicas"] = 2 });

    private void JobSucceeded() =>
        _api.Put("/apis/batch/v1/namespaces/kube-system/jobs/helm-install-site", "batch/v1", "Job", "helm-install-site", "kube-system", new JsonObject { ["succeeded"] = 1 });

    [Fact]
    public async Task The_wait_ends_when_the_install_job_succeeded_and_the_releases_workloads_are_ready()
    {
        Deployment("site-web", 1, Site);
        Deployment("other", 0, new Dictionary<string, string> { ["app.kubernetes.io/instance"] = "other" }); // another release's: not waited for
        var log = new List<string>();
        var waiting = WaitAsync(TimeSpan.FromSeconds(20), log);
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted, "the wait ended before k3s's job did");
        JobSucceeded();
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted, "the wait ended with one of two replicas ready");
        Deployment("site-web", 2, Site);
        await waiting;
        Assert.Contains("k3s's Helm controller to install site (web 1.2.3): yes", log);
        Assert.Contains("the workloads of release site to be ready: yes", log);
    }

    [Fact]
    public async Task The_pod_that_cannot_pull_its_image_is_named_when_the_wait_times_out()
    {
        JobSucceeded();
        Deployment("site-web", 0, Site);
        _api.AddFailingPod("web", "site-web-1", "registry.example/web:1.2.3", "ImagePullBackOff", "Back-off pulling image");
        var error = await Assert.ThrowsAsync<KargoException>(() => WaitAsync(TimeSpan.FromMilliseconds(600), []));
        Assert.Contains("waiting for the workloads of release site to be ready", error.Message);
        Assert.Contains("pod web/site-web-1 is Pending", error.Message);
        Assert.Contains("(registry.example/web:1.2.3): ImagePullBackOff: Back-off pulling image", error.Message);
    }
}
