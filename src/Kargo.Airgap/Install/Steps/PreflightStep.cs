using System.Net;
using System.Net.Sockets;
using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Install.Steps;

public enum CheckOutcome
{
    Pass,
    Warn,
    Fail,
}

/// <summary>One preflight line: what was checked, how it came out, and what to do about it.</summary>
public sealed record PreflightCheck(string Name, CheckOutcome Outcome, string Message)
{
    public override string ToString() => $"{Outcome.ToString().ToUpperInvariant(),-4} {Name}: {Message}";
}

/// <summary>
/// Checks the node before anything is written: architecture, virtualisation, disk, the registry
/// port, root, an existing k3s, container engines. Under --root the checks that are about the
/// machine running the command rather than the node are reported but not enforced.
/// </summary>
/// <param name="registryAddress">The port the embedded registry will take, or null when none will run here.</param>
/// <param name="kubeconfig">The cluster given with --kubeconfig, if any.</param>
public sealed class PreflightStep(IPEndPoint? registryAddress, string? kubeconfig = null) : IInstallStep
{
    public string Name => "preflight";

    public IEnumerable<string> Plan(InstallContext context) => Checks(context).Select(c => c.ToString());

    public Task RunAsync(InstallContext context, CancellationToken cancellationToken)
    {
        var checks = Checks(context);
        checks.ForEach(c => context.Did(c.ToString()));
        var failed = checks.Where(c => c.Outcome == CheckOutcome.Fail).ToList();
        if (failed.Count > 0)
        {
            throw new KargoException($"{failed.Count} preflight check(s) failed: {string.Join("; ", failed.Select(c => c.Name))}");
        }
        return Task.CompletedTask;
    }

    public List<PreflightCheck> Checks(InstallContext context)
    {
        var root = context.Root;
        // Under --root the machine is not the node: what is wrong with it only warns.
        var hostOutcome = root.IsRecording ? CheckOutcome.Warn : CheckOutcome.Fail;
        var checks = new List<PreflightCheck> { Architecture(context) };
        checks.Add(Virtualisation(context));
        checks.Add(Disk(context));
        if (registryAddress is not null)
        {
            checks.Add(Port(root, registryAddress, hostOutcome));
            // The registry step writes a systemd unit: a node without systemd would stop there, after the unpack.
            checks.Add(root.IsRecording ? new("systemd", CheckOutcome.Pass, "not needed: under --root the unit is written only")
                : Directory.Exists("/run/systemd/system") ? new("systemd", CheckOutcome.Pass, "running: kargo-registry.service can start")
                : new("systemd", CheckOutcome.Fail, "this node does not run systemd, which starts the registry: start 'kargo-offline serve' another way and install with --registry HOST:PORT --insecure-registry HOST:PORT"));
        }
        checks.Add(root.IsRecording
            ? new("root", CheckOutcome.Pass, $"not needed: files go under {root.Root}, no command runs")
            : IsRoot() ? new("root", CheckOutcome.Pass, "running as root") : new("root", CheckOutcome.Fail, "installing k3s and a systemd unit needs root: run it with sudo"));
        checks.Add(Cluster(context));
        checks.Add(Engines());
        return checks;
    }

    private static PreflightCheck Architecture(InstallContext context)
    {
        var node = InstallContext.NodeArchitecture;
        var platforms = context.Inventory.Platforms;
        if (node is not ("amd64" or "arm64"))
        {
            return new("architecture", CheckOutcome.Fail, $"this node is {node}; Kargo runs on x86-64 (amd64) and arm64");
        }
        return platforms.Contains($"linux/{node}")
            ? new("architecture", CheckOutcome.Pass, $"{node}, which the bundle carries")
            : new("architecture", CheckOutcome.Fail, $"this node is {node} but the bundle carries only {string.Join(", ", platforms)}: build one with linux/{node} in spec.platforms");
    }

    private static PreflightCheck Virtualisation(InstallContext context)
    {
        var flags = File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").Where(l => l.StartsWith("flags", StringComparison.Ordinal)).SelectMany(l => l.Split(' ')).ToHashSet() : [];
        var cpu = flags.Contains("vmx") ? "vmx (Intel VT-x)" : flags.Contains("svm") ? "svm (AMD-V)" : null;
        // /dev/kvm is what KubeVirt uses, and what the platform step reads to choose emulation: the CPU flag only explains.
        if (File.Exists(context.Root.Map(PlatformStep.KvmDevice)))
        {
            return new("virtualisation", CheckOutcome.Pass, cpu is not null || InstallContext.NodeArchitecture == "arm64" ? $"{cpu ?? "arm64"} and /dev/kvm" : "/dev/kvm (the CPU flags show no vmx/svm: a nested or arm guest)");
        }
        var kvm = false;
        var missing = string.Join(" and ", new[] { cpu is null ? "no vmx/svm CPU flag" : null, kvm ? null : "no /dev/kvm" }.OfType<string>());
        return new("virtualisation", CheckOutcome.Warn, $"{missing}: KubeVirt will emulate (slow); enable VT-x/AMD-V in the firmware and load kvm_intel or kvm_amd for real speed");
    }

    private static PreflightCheck Disk(InstallContext context)
    {
        var folder = context.Content;
        while (!Directory.Exists(folder))
        {
            folder = Path.GetDirectoryName(folder)!;
        }
        var free = new DriveInfo(folder).AvailableFreeSpace;
        var needed = context.Inventory.TotalSize * 11 / 10; // staging sits beside the content until it moves
        return free >= needed
            ? new("disk", CheckOutcome.Pass, $"{free >> 20} MiB free at {folder}, {needed >> 20} MiB needed")
            : new("disk", CheckOutcome.Fail, $"{free >> 20} MiB free at {folder} but the unpack needs {needed >> 20} MiB: free some space");
    }

    private static PreflightCheck Port(HostRoot root, IPEndPoint address, CheckOutcome busy)
    {
        try
        {
            using var listener = new TcpListener(address);
            listener.Start();
            return new("registry port", CheckOutcome.Pass, $"{address} is free");
        }
        catch (SocketException)
        {
            if (File.Exists(root.Map(RegistryStep.UnitPath)))
            {
                return new("registry port", CheckOutcome.Pass, $"{address} is held by kargo-registry.service, which restarts with this bundle");
            }
            return new("registry port", busy, $"{address} is in use by another program: stop it, or choose --addr");
        }
    }

    private static bool IsRoot() =>
        File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal))?.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == "0";

    private PreflightCheck Cluster(InstallContext context)
    {
        const CheckOutcome conflict = CheckOutcome.Fail; // about the node's files, so under --root too
        if (kubeconfig is not null && !File.Exists(kubeconfig))
        {
            return new("cluster", CheckOutcome.Fail, $"--kubeconfig {kubeconfig} does not exist");
        }
        var root = context.Root;
        var k3s = File.Exists(root.Map(K3sFiles.Binary));
        var microk8s = Directory.Exists(root.Map(Microk8sFiles.Installed));
        switch (ClusterDistributions.Of(context.Inventory))
        {
            case ClusterDistribution.K3s when microk8s:
                return new("cluster", conflict, "microk8s is installed and this bundle installs k3s: one node runs one distribution; remove it ('snap remove microk8s') or install a microk8s bundle");
            case ClusterDistribution.K3s when k3s:
                var bundled = context.ContentFile($"k3s-{InstallContext.NodeArchitecture}");
                var version = context.Inventory.Component(ComponentNames.K3s)?.Version ?? "the bundled version";
                return File.Exists(bundled) && HostRoot.SameContent(bundled, root.Map(K3sFiles.Binary))
                    ? new("cluster", CheckOutcome.Pass, $"k3s {version} is installed already: kept, its configuration refreshed")
                    : new("cluster", CheckOutcome.Warn, $"another k3s is installed at {K3sFiles.Binary}: it is upgraded in place to {version} (stop it first with k3s-killall.sh to avoid that)");
            case ClusterDistribution.K3s:
                return new("cluster", CheckOutcome.Pass, "k3s, a fresh install");
            case ClusterDistribution.Microk8s when k3s:
                return new("cluster", conflict, $"k3s is installed ({K3sFiles.Binary}) and this bundle installs microk8s: one node runs one distribution; remove it (k3s-uninstall.sh) or install a k3s bundle");
            case ClusterDistribution.Microk8s:
                return new("cluster", CheckOutcome.Pass, microk8s ? "microk8s is installed: the bundled snaps refresh it" : "microk8s, a fresh install");
            default:
                return kubeconfig is not null || root.IsRecording
                    ? new("cluster", CheckOutcome.Pass, kubeconfig is null ? "the bundle carries no cluster, and under --root nothing is applied" : $"the bundle carries no cluster: KubeVirt and CDI go to the cluster of {kubeconfig}")
                    : new("cluster", CheckOutcome.Fail, "the bundle carries no cluster (spec.cluster): give --kubeconfig of the cluster to install KubeVirt and CDI into");
        }
    }

    private static PreflightCheck Engines()
    {
        var found = new[] { ("/var/run/docker.sock", "Docker"), ("/run/podman/podman.sock", "Podman") }.Where(e => File.Exists(e.Item1)).Select(e => e.Item2).ToList();
        return new("container engines", CheckOutcome.Pass, found.Count == 0
            ? "no Docker or Podman: none is needed"
            : $"{string.Join(" and ", found)} found; not used unless asked ('kargo-offline serve --docker', 'load')");
    }
}
