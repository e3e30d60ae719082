using Kargo.Airgap.Install.Kubernetes;
using Kargo.Airgap.Registry;
using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Install.Steps;

/// <summary>Where k3s keeps what kargo gives it, on the node.</summary>
public static class K3sFiles
{
    public const string Binary = "/usr/local/bin/k3s";
    public const string ImagesFolder = "/var/lib/rancher/k3s/agent/images";
    public const string Registries = "/etc/rancher/k3s/registries.yaml";
    public const string Config = "/etc/rancher/k3s/config.yaml";
    public const string Kubeconfig = "/etc/rancher/k3s/k3s.yaml";
    public const string JoinToken = "/etc/rancher/k3s/kargo-join-token";
    public const string InstallScript = HostRoot.StateFolder + "/k3s-install.sh";

    /// <summary>Served by the API server at /static/charts/: where HelmChart resources find bundled charts.</summary>
    public const string StaticCharts = "/var/lib/rancher/k3s/server/static/charts";

    /// <summary>Manifests here are applied by k3s itself (its deploy controller), HelmCharts included.</summary>
    public const string ServerManifests = "/var/lib/rancher/k3s/server/manifests";
}

/// <summary>How this node joins the cluster: as its first server, or as an agent of one.</summary>
public abstract record K3sRole
{
    public sealed record Server : K3sRole;

    /// <param name="Url">The first node's API, https://HOST:6443.</param>
    /// <param name="TokenFile">A file holding the first node's /var/lib/rancher/k3s/server/node-token.</param>
    public sealed record Agent(Uri Url, string TokenFile) : K3sRole;
}

/// <summary>
/// The k3s airgap procedure: the binary and the airgap images in place, registries.yaml mirroring
/// every registry of the bundle through the local one, config.yaml (on a server whose release has
/// it, the embedded registry mirror, so nodes pull from each other before the first node's
/// registry), then the bundled install script with INSTALL_K3S_SKIP_DOWNLOAD=true. A server then
/// waits for its API and node Ready.
/// </summary>
public sealed class K3sStep(K3sRole role, Uri mirror, TimeSpan timeout, string? nodeOs = null) : IInstallStep
{
    public string Name => role is K3sRole.Server ? "k3s" : "k3s-agent";

    public string Inputs => role switch
    {
        K3sRole.Agent agent => $"server {agent.Url}, token file {agent.TokenFile}, registry {mirror}",
        _ => $"registry {mirror}",
    };

    private static string Arch => InstallContext.NodeArchitecture;

    private static string ImagesFile => $"k3s-airgap-images-{Arch}.tar.zst";

    public IEnumerable<string> Plan(InstallContext context) =>
    [
        $"write {K3sFiles.Binary} (files/k3s-{Arch})",
        $"write {K3sFiles.ImagesFolder}/{ImagesFile}",
        $"write {K3sFiles.Registries}: {string.Join(", ", context.MirroredHosts)} mirrored through {mirror.GetLeftPart(UriPartial.Authority)}",
        $"write {K3sFiles.Config}{(role is K3sRole.Server && K3sEmbeddedRegistry.SupportedBy(K3sVersion(context)) ? " with embedded-registry: true (nodes share images; they must reach each other on " + K3sEmbeddedRegistry.Ports + ")" : "")}",
        .. role is K3sRole.Agent ? [$"write {K3sFiles.JoinToken} (mode 0600)"] : Array.Empty<string>(),
        $"write {K3sFiles.InstallScript}",
        .. K3sCniPaths.Links(K3sVersion(context)).Select(l => $"link {l.Standard} -> {l.K3s} unless it holds files (CNAO's Multus and bridge CNI write there)"),
        .. SelinuxCommands(context).Select(c => $"run: {c}"),
        $"run: {InstallCommand(context)}",
        .. role is K3sRole.Server ? [$"wait for the API ({K3sFiles.Kubeconfig}) and the node Ready"] : Array.Empty<string>(),
    ];

    public async Task RunAsync(InstallContext context, CancellationToken cancellationToken)
    {
        context.Copy(Bundled(context, $"k3s-{Arch}"), K3sFiles.Binary, HostRoot.Executable);
        context.Copy(Bundled(context, ImagesFile), $"{K3sFiles.ImagesFolder}/{ImagesFile}", HostRoot.Readable);
        context.Write(K3sFiles.Registries, MirrorConfig.RegistriesYaml(context.MirroredHosts, mirror, caFile: null), HostRoot.Readable);
        if (role is K3sRole.Agent agent)
        {
            context.Root.WriteFile(K3sFiles.JoinToken, ReadToken(agent.TokenFile), HostRoot.Private);
            context.Did($"wrote {K3sFiles.JoinToken} (mode 0600, from {agent.TokenFile})");
        }
        context.Write(K3sFiles.Config, Config(K3sEmbeddedRegistry.SupportedBy(K3sVersion(context))), HostRoot.Private);
        context.Copy(Bundled(context, "k3s-install.sh"), K3sFiles.InstallScript, HostRoot.Executable);
        K3sCniPaths.Link(context, K3sVersion(context));
        foreach (var command in SelinuxCommands(context))
        {
            await context.RunAsync(command, cancellationToken);
        }
        await context.RunAsync(InstallCommand(context), cancellationToken);
        if (role is K3sRole.Server && !context.Root.IsRecording)
        {
            using var api = KubeApi.FromKubeconfig(context.Root.Map(K3sFiles.Kubeconfig));
            await new ClusterReadiness(api, context.Log, timeout).WaitForNodeReadyAsync(cancellationToken);
            context.Did("the API answers and the node is Ready");
        }
    }

    private static string? K3sVersion(InstallContext context) => context.Inventory.Component(ComponentNames.K3s)?.Version;

    private static string Bundled(InstallContext context, string name)
    {
        var path = context.ContentFile(name);
        return File.Exists(path) ? path : throw new KargoException($"the bundle has no files/{name}: build it with spec.cluster.k3s and linux/{Arch} in spec.platforms");
    }

    private static byte[] ReadToken(string tokenFile)
    {
        var token = File.Exists(tokenFile) ? File.ReadAllText(tokenFile).Trim() : throw new KargoException($"--token-file {tokenFile} does not exist: copy /var/lib/rancher/k3s/server/node-token from the first node");
        return token.Length > 0 ? System.Text.Encoding.UTF8.GetBytes(token + "\n") : throw new KargoException($"--token-file {tokenFile} is empty: copy /var/lib/rancher/k3s/server/node-token from the first node");
    }

    /// <summary>An agent's config names its server; the embedded registry mirror is a server flag (an agent refuses it) that turns it on cluster-wide.</summary>
    private string Config(bool embeddedRegistry) => role switch
    {
        K3sRole.Agent agent => $"# Written by kargo-offline join: this node is an agent of {agent.Url}.\n" + YamlText.Write(YamlText.Map(
            ("server", agent.Url.GetLeftPart(UriPartial.Authority)),
            ("token-file", K3sFiles.JoinToken))),
        _ => "# Written by kargo-offline install. The kubeconfig is for root only.\n" + YamlText.Write(embeddedRegistry
            ? YamlText.Map(("write-kubeconfig-mode", "0600"), ("embedded-registry", true))
            : YamlText.Map(("write-kubeconfig-mode", "0600"))),
    };

    /// <summary>
    /// On an SELinux-enforcing node: k3s's policy from the bundle (offline: rpm, no repository), then the
    /// binary relabelled by it (install.sh relabels only when it installs the policy itself).
    /// </summary>
    private IReadOnlyList<HostCommand> SelinuxCommands(InstallContext context)
    {
        if (Node.NodeSelinux.Mode(context.Root) != Node.SelinuxMode.Enforcing || Node.NodeSelinux.BundledRpm(context.Inventory, Node.NodeOs.Read(context.Root, nodeOs)) is not { } rpm)
        {
            return [];
        }
        return [new HostCommand("rpm", ["--upgrade", "--replacepkgs", $"{HostRoot.RegistryFolder}/files/{rpm}"]), new HostCommand("restorecon", ["-v", K3sFiles.Binary])];
    }

    /// <summary>The token never appears here: it is read from the file config.yaml names. On Fedora/RHEL the script is told not to fetch its SELinux RPM.</summary>
    private HostCommand InstallCommand(InstallContext context)
    {
        var environment = new Dictionary<string, string>
        {
            ["INSTALL_K3S_SKIP_DOWNLOAD"] = "true",
            ["INSTALL_K3S_EXEC"] = role is K3sRole.Server ? "server" : "agent",
        };
        if (Node.NodeOs.Read(context.Root, nodeOs).Family == Node.OsFamily.Rhel || Node.NodeSelinux.Mode(context.Root) != Node.SelinuxMode.Disabled)
        {
            environment["INSTALL_K3S_SKIP_SELINUX_RPM"] = "true";
        }
        return new HostCommand("sh", [K3sFiles.InstallScript], environment);
    }
}
