using Kargo.Airgap.Install.Kubernetes;
using Kargo.Airgap.Registry;

namespace Kargo.Airgap.Install.Steps;

/// <summary>
/// The install's last step: nothing the cluster names is pulled from outside. Runs
/// <see cref="ImageCheck"/> against the cluster the platform went to, through the mirrors the
/// cluster step wrote (k3s's registries.yaml, microk8s's certs.d); fails naming every image that
/// would be pulled from outside and the objects that name it. No cluster (--root without
/// --kubeconfig): nothing to check; under --root with a cluster, checked only when the registry answers
/// (the registry step starts nothing there).
/// </summary>
public sealed class ImageCheckStep(InstallOptions options) : IInstallStep
{
    public string Name => "check";

    public string Inputs => $"kubeconfig {options.Kubeconfig ?? "of the node"}, registry {RegistryStep.MirrorEndpoint(options)}";

    public IEnumerable<string> Plan(InstallContext context) => PlatformStep.Kubeconfig(options, context) is { } kubeconfig
        ? [$"check that every image the cluster of {kubeconfig} names (pods, workloads, operators' variables, VM disks) is served by the node's registry through {MirrorsFile(context)}"]
        : ["no cluster (--root without --kubeconfig): no images to check"];

    public async Task RunAsync(InstallContext context, CancellationToken cancellationToken)
    {
        if (PlatformStep.Kubeconfig(options, context) is not { } kubeconfig)
        {
            context.Did("no cluster (--root without --kubeconfig): no images to check");
            return;
        }
        if (Mirrors(context) is not { } mirrors)
        {
            context.Did($"not checked: no mirror configuration under {context.Root.Root} (the bundle brings no cluster); run 'kargo-offline check --kubeconfig {kubeconfig} --registry {RegistryStep.MirrorEndpoint(options)}' where the cluster's runtime mirrors through it");
            return;
        }
        var registry = RegistryStep.MirrorEndpoint(options);
        if (context.Root.IsRecording && !await RegistryStep.AnswersAsync(new Uri(registry, "/v2/"), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), cancellationToken))
        {
            // Under --root the registry step started nothing: there is no registry to ask unless something serves it.
            context.Did($"not checked: nothing answers at {registry} (--root: the registry is not started); serve {context.Root.Map(HostRoot.RegistryFolder)} there and run 'kargo-offline check --root {context.Root.Root} --kubeconfig {kubeconfig}'");
            return;
        }
        using var api = KubeApi.FromKubeconfig(kubeconfig);
        var report = await ImageCheck.RunAsync(api, mirrors, cancellationToken);
        foreach (var note in report.Notes)
        {
            context.Log(Terminal.Printable(note));
        }
        if (!report.Ok)
        {
            throw new KargoException(string.Join("\n  ", report.Lines(failuresOnly: true).Select(Terminal.Printable)) +
                "\nAdd what is missing to the bundle's spec (spec.images) or remove what names it; 'kargo-offline check' runs the same check again");
        }
        context.Did(Terminal.Printable(report.Summary));
    }

    /// <summary>The mirrors of the runtime the bundle installed; for a bundle without a cluster, whatever runtime the root shows, if any.</summary>
    private static NodeMirrors? Mirrors(InstallContext context) => ClusterDistributions.Of(context.Inventory) switch
    {
        ClusterDistribution.K3s => NodeMirrors.Read(context.Root.Root, NodeRuntime.K3s),
        ClusterDistribution.Microk8s => NodeMirrors.Read(context.Root.Root, NodeRuntime.Microk8s),
        _ => NodeRuntimes.Detect(context.Root.Root) is NodeRuntime.K3s or NodeRuntime.Microk8s or NodeRuntime.Containerd ? NodeMirrors.Read(context.Root.Root) : null,
    };

    private static string MirrorsFile(InstallContext context) => ClusterDistributions.Of(context.Inventory) switch
    {
        ClusterDistribution.K3s => K3sFiles.Registries,
        ClusterDistribution.Microk8s => Microk8sFiles.CertsFolder,
        _ => "the node's runtime mirror configuration",
    };
}
