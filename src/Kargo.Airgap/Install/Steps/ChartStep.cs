using Kargo.Airgap.Bundle;
using Kargo.Airgap.Install.Kubernetes;
using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Install.Steps;

/// <summary>
/// The bundle's Helm charts, each installed as a release from its bundled archive with no network.
/// On k3s the archive goes to the server's static charts and a HelmChart resource in its manifests
/// folder points at it, so k3s's own Helm controller installs it; on microk8s, 'microk8s helm3
/// upgrade --install'; with --kubeconfig and no bundled cluster, the node's helm. Then each release's
/// pods are waited for, and those that do not become ready are named.
/// </summary>
public sealed class ChartStep(InstallOptions options) : IInstallStep
{
    public string Name => "charts";

    public string Inputs => $"kubeconfig {options.Kubeconfig ?? "of the node"}";

    public IEnumerable<string> Plan(InstallContext context) => Charts(context).Select(chart => ClusterDistributions.Of(context.Inventory) switch
    {
        ClusterDistribution.K3s => $"{chart.Name} {chart.Version}: write {K3sFiles.StaticCharts}/{ArchiveName(chart)} and {HelmChartFile(chart)} (k3s's Helm controller installs release {chart.ReleaseName} in {chart.Namespace})",
        ClusterDistribution.Microk8s => $"{chart.Name} {chart.Version}: run: {HelmCommand(chart, "microk8s", ["helm3"], null)}",
        _ => $"{chart.Name} {chart.Version}: {(PlatformStep.Kubeconfig(options, context) is { } kubeconfig ? $"run: {HelmCommand(chart, "helm", [], kubeconfig)}" : "not installed (--root, no --kubeconfig)")}",
    });

    public async Task RunAsync(InstallContext context, CancellationToken cancellationToken)
    {
        var distribution = ClusterDistributions.Of(context.Inventory);
        foreach (var chart in Charts(context))
        {
            var archive = Bundled(context, chart.Archive);
            var values = chart.Values is { } entry ? File.ReadAllText(Bundled(context, entry)) : null;
            switch (distribution)
            {
                case ClusterDistribution.K3s:
                    context.Copy(archive, $"{K3sFiles.StaticCharts}/{ArchiveName(chart)}", HostRoot.Readable);
                    context.Write(HelmChartFile(chart), HelmChartResource.Yaml(chart, values), HostRoot.Private);
                    break;
                case ClusterDistribution.Microk8s:
                    await context.RunAsync(HelmCommand(chart, "microk8s", ["helm3"], null), cancellationToken);
                    break;
                default:
                    if (PlatformStep.Kubeconfig(options, context) is not { } kubeconfig)
                    {
                        context.Did($"{chart.Name} {chart.Version}: not installed (--root, no --kubeconfig)");
                        continue;
                    }
                    if (!context.Root.IsRecording && NodeHelm() is null)
                    {
                        throw new KargoException($"chart {chart.Name} {chart.Version} needs helm on this node to install into the cluster of {kubeconfig} (the bundle carries no cluster whose own Helm could): install helm, or build the bundle with spec.cluster");
                    }
                    await context.RunAsync(HelmCommand(chart, NodeHelm() ?? "helm", [], kubeconfig), cancellationToken);
                    break;
            }
        }
        if (!context.Root.IsRecording && distribution == ClusterDistribution.K3s)
        {
            await WaitForReleasesAsync(context, cancellationToken);
        }
    }

    /// <summary>k3s installs each HelmChart by a job; then the release's workloads must be ready (<see cref="ReleaseReadiness"/>).</summary>
    private async Task WaitForReleasesAsync(InstallContext context, CancellationToken cancellationToken)
    {
        using var api = KubeApi.FromKubeconfig(context.Root.Map(K3sFiles.Kubeconfig));
        var releases = new ReleaseReadiness(api, new ClusterReadiness(api, context.Log, options.Timeout));
        foreach (var chart in Charts(context))
        {
            await releases.WaitAsync(chart, cancellationToken);
            context.Did($"release {chart.ReleaseName} ({chart.Name} {chart.Version}) is installed in {chart.Namespace} and its workloads are ready");
        }
    }

    /// <summary>The inventory's charts, whose every field passed its rules when the inventory was read.</summary>
    private static IReadOnlyList<InventoryChart> Charts(InstallContext context) => context.Inventory.Charts ?? [];

    private static string ArchiveName(InventoryChart chart) => BundleLayout.NameIn(chart.Archive, BundleLayout.ChartsFolder);

    public static string HelmChartFile(InventoryChart chart) => $"{K3sFiles.ServerManifests}/kargo-chart-{chart.ReleaseName}.yaml";

    private static string Bundled(InstallContext context, string entry)
    {
        var path = Path.Combine(context.Content, entry);
        return File.Exists(path) ? path : throw new KargoException($"the bundle's {entry} is not in {context.Content}: unpack the bundle again");
    }

    /// <summary>helm upgrade --install from the unpacked archive: the same release on every run.</summary>
    private static HostCommand HelmCommand(InventoryChart chart, string program, IReadOnlyList<string> prefix, string? kubeconfig) => new(program,
    [
        .. prefix, "upgrade", "--install", chart.ReleaseName, $"{HostRoot.RegistryFolder}/{chart.Archive}",
        "--namespace", chart.Namespace, "--create-namespace", "--wait",
        .. chart.Values is { } values ? new[] { "--values", $"{HostRoot.RegistryFolder}/{values}" } : [],
        .. kubeconfig is null ? Array.Empty<string>() : ["--kubeconfig", kubeconfig],
    ]);

    private static string? NodeHelm() => Sources.Charts.HelmTemplate.Locate(null, Environment.GetEnvironmentVariable("PATH"));
}

/// <summary>The k3s HelmChart (helm.cattle.io/v1) resource that installs a bundled chart from the server's static charts.</summary>
public static class HelmChartResource
{
    /// <summary>k3s's Helm controller watches HelmCharts in kube-system.</summary>
    public const string Namespace = ReleaseReadiness.HelmChartNamespace;

    public static string Yaml(InventoryChart chart, string? values)
    {
        var spec = YamlText.Map(
            // k3s replaces %{KUBERNETES_API}% with its API address, which serves /static/ from the server's static folder.
            ("chart", $"https://%{{KUBERNETES_API}}%/static/charts/{BundleLayout.NameIn(chart.Archive, BundleLayout.ChartsFolder)}"),
            ("targetNamespace", chart.Namespace),
            ("createNamespace", true));
        if (values is not null)
        {
            spec["valuesContent"] = values;
        }
        return $"# Written by kargo-offline install: {chart.Name} {chart.Version} from the bundle, installed by k3s's Helm controller.\n" + YamlText.Write(YamlText.Map(
            ("apiVersion", "helm.cattle.io/v1"),
            ("kind", "HelmChart"),
            ("metadata", YamlText.Map(("name", chart.ReleaseName), ("namespace", Namespace))),
            ("spec", spec)));
    }
}
