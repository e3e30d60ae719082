using Kargo.Airgap.Bundle;
using Kargo.Airgap.Install.Steps;

namespace Kargo.Airgap.Install;

/// <summary>What <c>kargo-offline join</c> was asked to do.</summary>
/// <param name="Bundle">The same bundle the first node was installed from.</param>
/// <param name="Trusted">The keys to trust; null skips the signature check.</param>
/// <param name="Root">/ on a node, or a folder standing in for it.</param>
/// <param name="Server">The first node's API, https://HOST:6443.</param>
/// <param name="TokenFile">A copy of the first node's /var/lib/rancher/k3s/server/node-token.</param>
/// <param name="Registry">The first node's registry, HOST:PORT.</param>
/// <param name="Phases">Where the unpack reports its progress.</param>
/// <param name="NodeOs">--node-os: the distribution a --root stands in for.</param>
public sealed record JoinOptions(string Bundle, TrustedKeys? Trusted, string Root, Uri Server, string TokenFile, string Registry, IPhaseProgress? Phases = null, string? NodeOs = null);

/// <summary>The two ways a node is installed from a bundle: the first node (install) and a further one (join).</summary>
public static class NodeInstall
{
    public const string InstallStateFile = "install-state.json";
    public const string JoinStateFile = "join-state.json";

    public static Task<InstallResult> InstallAsync(InstallOptions options, bool dryRun, Action<string> log, CancellationToken cancellationToken)
    {
        var root = new HostRoot(options.Root);
        var mirror = RegistryStep.MirrorEndpoint(options);
        var installer = new Installer(inventory =>
        [
            new PreflightStep(options.PushRegistry is null ? options.RegistryAddress : null, options.Kubeconfig, options.NodeOs),
            new VerifyStep(),
            new UnpackStep(options.Trusted, options.Bundle, phases: options.Phases),
            new RegistryStep(options),
            .. ClusterDistributions.Of(inventory) switch
            {
                ClusterDistribution.K3s => [new K3sStep(new K3sRole.Server(), mirror, options.Timeout, options.NodeOs)],
                ClusterDistribution.Microk8s => [new Microk8sStep(mirror, options.Timeout)],
                _ => Array.Empty<IInstallStep>(),
            },
            new PlatformStep(options),
            .. inventory.Charts is { Count: > 0 } ? [new ChartStep(options)] : Array.Empty<IInstallStep>(),
            new VmStep(options),
            new ImageCheckStep(options),
        ], InstallStateFile);
        return installer.RunAsync(options.Bundle, options.Trusted, root, dryRun, log, context => InstallSummary(options, context), cancellationToken);
    }

    public static Task<InstallResult> JoinAsync(JoinOptions options, bool dryRun, Action<string> log, CancellationToken cancellationToken)
    {
        var root = new HostRoot(options.Root);
        var installer = new Installer(inventory => AgentSteps(options, inventory), JoinStateFile);
        return installer.RunAsync(options.Bundle, options.Trusted, root, dryRun, log, context =>
        [
            $"k3s agent installed; it joins {options.Server} (check with 'sudo k3s kubectl get nodes' on the first node)",
            $"images are pulled through the first node's registry at http://{options.Registry}/",
            .. RootNote(context.Root),
        ], cancellationToken);
    }

    private static IReadOnlyList<IInstallStep> AgentSteps(JoinOptions options, Inventory inventory) => ClusterDistributions.Of(inventory) switch
    {
        ClusterDistribution.K3s =>
        [
            new PreflightStep(null, nodeOs: options.NodeOs),
            new VerifyStep(),
            // An agent needs the k3s files only: its images come from the first node's registry.
            new UnpackStep(options.Trusted, options.Bundle, path => BundleLayout.IsIn(path, BundleLayout.FilesFolder), options.Phases),
            new K3sStep(new K3sRole.Agent(options.Server, options.TokenFile), new Uri($"http://{options.Registry}/"), TimeSpan.Zero, options.NodeOs),
        ],
        ClusterDistribution.Microk8s => throw new KargoException($"{inventory.Name} {inventory.Version} installs microk8s, which joins its own way: install the bundle on this node with 'kargo-offline install', run 'sudo microk8s add-node' on the first node and the 'microk8s join' line it prints here"),
        _ => throw new KargoException($"{inventory.Name} {inventory.Version} carries no cluster (spec.cluster): there is no k3s agent to join with"),
    };

    private static IReadOnlyList<string> InstallSummary(InstallOptions options, InstallContext context)
    {
        var inventory = context.Inventory;
        var distribution = ClusterDistributions.Of(inventory);
        string? Version(string name) => inventory.Component(name)?.Version;
        // Only what the bundle brought: a bundle with no cluster names no k3s.
        var installed = Sources.Releases.ReleaseCatalog.Components
            .Select(c => (c.DisplayName, Version: Version(c.Name)))
            .Where(c => c.Version is not null).Select(c => $"{c.DisplayName} {c.Version}").DefaultIfEmpty("its manifests and images");
        var registry = options.PushRegistry is { } pushed
            ? $"images: pushed into {pushed}; the node pulls them through it"
            : $"registry: http://{InstallContext.Reachable(options.RegistryAddress)}/ ({RegistryStep.ServiceName}, content in {HostRoot.RegistryFolder}); list it with 'curl http://{RegistryStep.MirrorEndpoint(options).Authority}/v2/_catalog'";
        var lines = new List<string>
        {
            $"installed {inventory.Name} {inventory.Version}: {string.Join(", ", installed)}",
            distribution.Kubeconfig() is { } kubeconfig
                ? $"kubeconfig: {kubeconfig} (root only): '{distribution.Kubectl()} get nodes'"
                : $"cluster: {options.Kubeconfig ?? "none (--root)"}",
            registry,
        };
        foreach (var disk in VmStep.Disks(context).Where(d => d.Image is not null))
        {
            lines.Add($"VM {disk.Name} (stopped): 'virtctl start {disk.Name}', then 'virtctl console {disk.Name}'");
        }
        if (distribution == ClusterDistribution.Microk8s)
        {
            lines.Add("another node: install this bundle there, run 'sudo microk8s add-node' here and the 'microk8s join' line it prints there");
        }
        else if (distribution == ClusterDistribution.K3s)
        {
            lines.Add($"another node: 'kargo-offline join BUNDLE --pub KEY.pub --server https://{InstallContext.Reachable(new System.Net.IPEndPoint(System.Net.IPAddress.Any, 6443))} --token-file node-token --addr {InstallContext.Reachable(options.RegistryAddress)}' with node-token copied from /var/lib/rancher/k3s/server/node-token");
        }
        lines.AddRange(RootNote(context.Root));
        return lines;
    }

    private static IEnumerable<string> RootNote(HostRoot root) => root.IsRecording
        ? [$"--root: files were written under {root.Root}; the commands a node would run are in {root.Map(HostCommands.RecordFile)}"]
        : [];
}
