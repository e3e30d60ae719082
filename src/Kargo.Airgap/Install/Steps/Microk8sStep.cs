using Kargo.Airgap.Bundle;
using Kargo.Airgap.Install.Kubernetes;
using Kargo.Airgap.Registry;

namespace Kargo.Airgap.Install.Steps;

/// <summary>Where microk8s keeps what kargo gives it, on the node.</summary>
public static class Microk8sFiles
{
    /// <summary>microk8s's containerd reads a hosts.toml per registry here at each pull.</summary>
    public const string CertsFolder = "/" + MirrorConfig.Microk8sCertsDir;

    /// <summary>Present once the snap is installed.</summary>
    public const string Installed = "/snap/microk8s/current";

    /// <summary>'microk8s config', kept for the platform and VM steps (root only: it holds the admin credentials).</summary>
    public const string Kubeconfig = HostRoot.StateFolder + "/microk8s.kubeconfig";
}

/// <summary>
/// microk8s from the bundled snaps, with no store: each snap's assertions acknowledged ('snap ack')
/// and the snap installed from its file, bases first; then a hosts.toml per registry of the bundle
/// pointing containerd at the local registry; then wait until it is ready and keep its kubeconfig.
/// </summary>
public sealed class Microk8sStep(Uri mirror, TimeSpan timeout) : IInstallStep
{
    public string Inputs => $"registry {mirror}";

    public string Name => "microk8s";

    /// <summary>The bundled snaps in install order: bases (core20, snapd) before microk8s, which needs them.</summary>
    public static IReadOnlyList<string> Snaps(InstallContext context) =>
    [
        .. context.Inventory.Entries.Select(e => e.Path)
            .Where(p => BundleLayout.IsIn(p, BundleLayout.FilesFolder) && p.EndsWith(".snap", StringComparison.Ordinal))
            .Select(p => BundleLayout.NameIn(p, BundleLayout.FilesFolder))
            .OrderBy(p => p.StartsWith("microk8s_", StringComparison.Ordinal))
            .ThenBy(p => p, StringComparer.Ordinal),
    ];

    private static IEnumerable<HostCommand> SnapCommands(InstallContext context) => Snaps(context).SelectMany(snap =>
    {
        var folder = $"{HostRoot.RegistryFolder}/files/";
        var install = new List<string> { "install", folder + snap };
        if (snap.StartsWith("microk8s_", StringComparison.Ordinal))
        {
            install.Add("--classic"); // microk8s is a classic snap
        }
        return new[] { new HostCommand("snap", ["ack", folder + snap[..^".snap".Length] + ".assert"]), new HostCommand("snap", install) };
    });

    private HostCommand WaitReady => new("microk8s", ["status", "--wait-ready", "--timeout", ((int)timeout.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture)]);

    public IEnumerable<string> Plan(InstallContext context) =>
    [
        .. SnapCommands(context).Select(c => $"run: {c}"),
        $"write {Microk8sFiles.CertsFolder}/HOST/hosts.toml for {string.Join(", ", context.MirroredHosts)}, through {mirror.GetLeftPart(UriPartial.Authority)}",
        $"run: {WaitReady}",
        $"write {Microk8sFiles.Kubeconfig} (mode 0600, from 'microk8s config')",
    ];

    public async Task RunAsync(InstallContext context, CancellationToken cancellationToken)
    {
        if (Snaps(context).Count == 0 || !Snaps(context).Any(s => s.StartsWith("microk8s_", StringComparison.Ordinal)))
        {
            throw new KargoException("the bundle carries no microk8s snap: build it with spec.cluster.microk8s and its snaps");
        }
        foreach (var command in SnapCommands(context))
        {
            await context.RunAsync(command, cancellationToken);
        }
        // After the install: /var/snap/microk8s/current is the snap's own link, made by snap install.
        foreach (var host in context.MirroredHosts)
        {
            context.Write($"{Microk8sFiles.CertsFolder}/{host}/hosts.toml", MirrorConfig.HostsToml(host, mirror, null), HostRoot.Readable);
        }
        await context.RunAsync(WaitReady, cancellationToken);
        var kubeconfig = await context.RunAsync(new HostCommand("microk8s", ["config"]), cancellationToken);
        if (context.Root.IsRecording)
        {
            return;
        }
        context.Root.WriteFile(Microk8sFiles.Kubeconfig, System.Text.Encoding.UTF8.GetBytes(kubeconfig), HostRoot.Private);
        context.Did($"wrote {Microk8sFiles.Kubeconfig} (mode 0600)");
        using var api = KubeApi.FromKubeconfig(Microk8sFiles.Kubeconfig);
        await new ClusterReadiness(api, context.Log, timeout).WaitForNodeReadyAsync(cancellationToken);
        context.Did("the API answers and the node is Ready");
    }
}
