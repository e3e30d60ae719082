using Kargo.Airgap.Bundle;

namespace Kargo.Airgap.Install.Kubernetes;

/// <summary>
/// Waits for a chart k3s's Helm controller installs: its job helm-install-NAME in kube-system
/// (k3s-io/helm-controller names it so) until it succeeded, then the release's workloads (the
/// app.kubernetes.io/instance label Helm charts set) rolled out by the same rules as the platform's
/// (<see cref="ComponentReadiness.IsRolledOut"/>), as 'helm --wait' would. The job
/// has created them by then, so none is missed for not existing yet. On a timeout the pods that are
/// not running, and why, are named.
/// </summary>
public sealed class ReleaseReadiness(KubeApi api, ClusterReadiness readiness)
{
    /// <summary>Where k3s's Helm controller keeps HelmCharts and runs their jobs.</summary>
    public const string HelmChartNamespace = "kube-system";

    /// <summary>The label Helm's charts put on what a release runs (the Kubernetes recommended labels).</summary>
    public const string InstanceLabel = "app.kubernetes.io/instance";

    public async Task WaitAsync(InventoryChart chart, CancellationToken cancellationToken)
    {
        var job = $"/apis/batch/v1/namespaces/{HelmChartNamespace}/jobs/helm-install-{chart.ReleaseName}";
        await readiness.UntilAsync($"k3s's Helm controller to install {chart.ReleaseName} ({chart.Name} {chart.Version})",
            async () => (await api.GetAsync(job, cancellationToken))?["status"]?["succeeded"]?.GetValue<int>() >= 1,
            () => readiness.PodProblemsAsync([HelmChartNamespace], cancellationToken), cancellationToken);
        var selector = Uri.EscapeDataString($"{InstanceLabel}={chart.ReleaseName}");
        await readiness.UntilAsync($"the workloads of release {chart.ReleaseName} to be ready",
            async () =>
            {
                foreach (var (plural, kind) in new[] { ("deployments", "Deployment"), ("statefulsets", "StatefulSet"), ("daemonsets", "DaemonSet") })
                {
                    var list = await api.GetAsync($"/apis/apps/v1/namespaces/{chart.Namespace}/{plural}?labelSelector={selector}", cancellationToken);
                    if (!(list?["items"]?.AsArray() ?? []).All(item => ComponentReadiness.IsRolledOut(kind, item)))
                    {
                        return false;
                    }
                }
                return true;
            },
            () => readiness.PodProblemsAsync([chart.Namespace], cancellationToken), cancellationToken);
    }
}
