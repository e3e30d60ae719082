using Kargo.Airgap.Install.Steps;
using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Install.Node;

/// <summary>
/// Every check of a node, as install's preflight and 'doctor' run them: the distribution, the
/// hypervisor (VT-x, /dev/kvm, nesting, IOMMU, memory), disk, ports, firewall, SELinux, systemd,
/// root, an existing cluster, container engines, the clock and the VM bridge. With no bundle
/// (doctor before the stick arrives) only the node's own. Under --root, what is about the machine
/// running the command rather than the node only warns.
/// </summary>
public static class NodeChecks
{
    public static List<PreflightCheck> Run(NodeCheckInput input)
    {
        var checks = new List<PreflightCheck> { Os(input) };
        if (input.Inventory is not null)
        {
            checks.Add(Architecture(input));
        }
        checks.Add(HypervisorChecks.Virtualisation(input));
        checks.Add(HypervisorChecks.Nested(input));
        checks.Add(HypervisorChecks.Iommu(input));
        checks.Add(HypervisorChecks.Memory(input));
        checks.Add(Disk(input));
        if (input.RegistryAddress is { } address)
        {
            checks.Add(NetworkChecks.RegistryPort(input, address));
        }
        if (input.Inventory is null || input.Distribution == ClusterDistribution.K3s)
        {
            checks.Add(NetworkChecks.ClusterPorts(input));
        }
        checks.Add(NetworkChecks.Firewall(input));
        checks.AddRange(Selinux(input));
        if (input.RegistryAddress is not null)
        {
            // The embedded registry is a systemd unit; k3s's own install script also knows OpenRC.
            checks.Add(Systemd(input));
        }
        checks.Add(Root(input));
        if (input.Inventory is not null)
        {
            checks.Add(Cluster(input));
        }
        checks.Add(Engines());
        checks.Add(NetworkChecks.Clock(input));
        checks.Add(NetworkChecks.Bridge(input));
        return checks;
    }

    private static PreflightCheck Os(NodeCheckInput input) => input.Os.Family switch
    {
        OsFamily.Debian or OsFamily.Rhel => PreflightCheck.Pass("os", input.Os.ToString()),
        _ when !input.Os.Known => PreflightCheck.Warn("os", $"{NodeOs.ReleaseFile} is missing: Kargo's quick starts are Ubuntu (recommended) and Fedora"),
        _ => PreflightCheck.Warn("os", $"{input.Os}: Kargo's quick starts are Ubuntu (recommended) and Fedora; k3s runs here, but 'bridge' cannot write this system's network configuration"),
    };

    private static PreflightCheck Architecture(NodeCheckInput input)
    {
        var node = InstallContext.NodeArchitecture;
        var platforms = input.Inventory!.Platforms;
        if (node is not ("amd64" or "arm64"))
        {
            return PreflightCheck.Fail("architecture", $"this node is {node}; Kargo runs on x86-64 (amd64) and arm64");
        }
        return platforms.Contains($"linux/{node}")
            ? PreflightCheck.Pass("architecture", $"{node}, which the bundle carries")
            : PreflightCheck.Fail("architecture", $"this node is {node} but the bundle carries only {string.Join(", ", platforms)}: build one with linux/{node} in spec.platforms");
    }

    private static PreflightCheck Disk(NodeCheckInput input)
    {
        var folder = input.Content;
        while (!Directory.Exists(folder))
        {
            folder = Path.GetDirectoryName(folder)!;
        }
        var free = new DriveInfo(folder).AvailableFreeSpace;
        if (input.Inventory is null)
        {
            return PreflightCheck.Pass("disk", $"{free >> 20} MiB free at {folder} (a bundle needs about its own size there)");
        }
        var needed = input.Inventory.TotalSize * 11 / 10; // staging sits beside the content until it moves
        return free >= needed
            ? PreflightCheck.Pass("disk", $"{free >> 20} MiB free at {folder}, {needed >> 20} MiB needed")
            : PreflightCheck.Fail("disk", $"{free >> 20} MiB free at {folder} but the unpack needs {needed >> 20} MiB: free some space");
    }

    /// <summary>SELinux: an enforcing node needs k3s's policy (from the bundle: its install script would fetch it) and the distribution's container-selinux under it.</summary>
    private static IEnumerable<PreflightCheck> Selinux(NodeCheckInput input)
    {
        var mode = NodeSelinux.Mode(input.Root);
        if (mode != SelinuxMode.Enforcing)
        {
            yield return PreflightCheck.Pass("selinux", mode == SelinuxMode.Disabled ? "not enabled" : "permissive: nothing is refused (k3s's policy is not needed)");
            yield break;
        }
        var containerSelinux = NodeSelinux.ContainerSelinuxInstalled(input.Root);
        if (input.Inventory is null || input.Distribution == ClusterDistribution.K3s)
        {
            var target = NodeSelinux.RpmTarget(input.Os);
            yield return input.Inventory is null
                ? PreflightCheck.Pass("selinux", $"enforcing: the bundle must carry k3s's policy for {target} (spec.cluster.k3s.selinux: true)")
                : NodeSelinux.BundledRpm(input.Inventory, input.Os) is { } rpm
                    ? PreflightCheck.Pass("selinux", $"enforcing: {rpm} from the bundle is installed before k3s")
                    : PreflightCheck.Fail("selinux", $"enforcing, and the bundle carries no k3s-selinux policy for {target} (k3s's install script would fetch it from rpm.rancher.io, unreachable here): build the bundle with spec.cluster.k3s.selinux: true");
            yield return containerSelinux
                ? PreflightCheck.Pass("container-selinux", "installed (k3s-selinux builds on it)")
                : PreflightCheck.Fail("container-selinux", "not installed, and k3s-selinux requires it: install it from the distribution's media ('dnf install container-selinux' from a local repository or the install DVD)");
        }
        else
        {
            yield return PreflightCheck.Pass("selinux", $"enforcing{(containerSelinux ? ", container-selinux installed" : "")}");
        }
    }

    /// <summary>The registry runs as a systemd service: a node without systemd would stop after the unpack.</summary>
    private static PreflightCheck Systemd(NodeCheckInput input)
    {
        if (input.Root.IsRecording)
        {
            return PreflightCheck.Pass("systemd", "not needed: under --root units are written only");
        }
        return Directory.Exists("/run/systemd/system")
            ? PreflightCheck.Pass("systemd", "running: kargo-registry.service can start")
            : PreflightCheck.Fail("systemd", "this node does not run systemd, which starts the registry: start 'kargo-offline serve' another way and install with --registry HOST:PORT --insecure-registry HOST:PORT");
    }

    private static PreflightCheck Root(NodeCheckInput input) => input.Root.IsRecording
        ? PreflightCheck.Pass("root", $"not needed: files go under {input.Root.Root}, no command runs")
        : IsRoot() ? PreflightCheck.Pass("root", "running as root") : PreflightCheck.Fail("root", "installing k3s and a systemd unit needs root: run it with sudo");

    private static bool IsRoot() =>
        File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal))?.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == "0";

    private static PreflightCheck Cluster(NodeCheckInput input)
    {
        var kubeconfig = input.Kubeconfig;
        if (kubeconfig is not null && !File.Exists(kubeconfig))
        {
            return PreflightCheck.Fail("cluster", $"--kubeconfig {kubeconfig} does not exist");
        }
        var root = input.Root;
        var k3s = File.Exists(root.Map(K3sFiles.Binary));
        var microk8s = Directory.Exists(root.Map(Microk8sFiles.Installed));
        switch (input.Distribution)
        {
            case ClusterDistribution.K3s when microk8s:
                return PreflightCheck.Fail("cluster", "microk8s is installed and this bundle installs k3s: one node runs one distribution; remove it ('snap remove microk8s') or install a microk8s bundle");
            case ClusterDistribution.K3s when k3s:
                var bundled = Path.Combine(input.Content, "files", $"k3s-{InstallContext.NodeArchitecture}");
                var version = input.Inventory!.Component(ComponentNames.K3s)?.Version ?? "the bundled version";
                return File.Exists(bundled) && HostRoot.SameContent(bundled, root.Map(K3sFiles.Binary))
                    ? PreflightCheck.Pass("cluster", $"k3s {version} is installed already: kept, its configuration refreshed")
                    : PreflightCheck.Warn("cluster", $"another k3s is installed at {K3sFiles.Binary}: it is upgraded in place to {version} (stop it first with k3s-killall.sh to avoid that)");
            case ClusterDistribution.K3s:
                return PreflightCheck.Pass("cluster", "k3s, a fresh install");
            case ClusterDistribution.Microk8s when k3s:
                return PreflightCheck.Fail("cluster", $"k3s is installed ({K3sFiles.Binary}) and this bundle installs microk8s: one node runs one distribution; remove it (k3s-uninstall.sh) or install a k3s bundle");
            case ClusterDistribution.Microk8s:
                return PreflightCheck.Pass("cluster", microk8s ? "microk8s is installed: the bundled snaps refresh it" : "microk8s, a fresh install");
            default:
                return kubeconfig is not null || root.IsRecording
                    ? PreflightCheck.Pass("cluster", kubeconfig is null ? "the bundle carries no cluster, and under --root nothing is applied" : $"the bundle carries no cluster: KubeVirt and CDI go to the cluster of {kubeconfig}")
                    : PreflightCheck.Fail("cluster", "the bundle carries no cluster (spec.cluster): give --kubeconfig of the cluster to install KubeVirt and CDI into");
        }
    }

    private static PreflightCheck Engines()
    {
        var found = new[] { ("/var/run/docker.sock", "Docker"), ("/run/podman/podman.sock", "Podman") }.Where(e => File.Exists(e.Item1)).Select(e => e.Item2).ToList();
        return PreflightCheck.Pass("container engines", found.Count == 0
            ? "no Docker or Podman: none is needed"
            : $"{string.Join(" and ", found)} found; not used unless asked ('kargo-offline serve --docker', 'load')");
    }
}
