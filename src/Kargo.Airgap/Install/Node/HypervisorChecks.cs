using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Install.Node;

/// <summary>What KubeVirt needs of the machine: VT-x/AMD-V and a usable /dev/kvm, nested virtualisation, the IOMMU, memory.</summary>
public static class HypervisorChecks
{
    public const string KvmDevice = "/dev/kvm";

    /// <summary>k3s's documented server minimum is 2 GB; KubeVirt's and CDI's control planes share it.</summary>
    private const long PlatformMemory = 2L << 30;

    /// <summary>What the example VMs request each (the vms step).</summary>
    private const long ExampleVmMemory = 1L << 30;

    private static HashSet<string> CpuFlags(HostRoot root)
    {
        var cpuinfo = root.Map("/proc/cpuinfo");
        return File.Exists(cpuinfo)
            ? File.ReadLines(cpuinfo).Where(l => l.StartsWith("flags", StringComparison.Ordinal)).SelectMany(l => l.Split([' ', '\t', ':'], StringSplitOptions.RemoveEmptyEntries)).ToHashSet(StringComparer.Ordinal)
            : [];
    }

    public static PreflightCheck Virtualisation(NodeCheckInput input)
    {
        var flags = CpuFlags(input.Root);
        var cpu = flags.Contains("vmx") ? "vmx (Intel VT-x)" : flags.Contains("svm") ? "svm (AMD-V)" : null;
        var kvm = input.Root.Map(KvmDevice);
        if (!File.Exists(kvm))
        {
            var why = cpu is null
                ? "no vmx/svm CPU flag and no /dev/kvm: enable Intel VT-x or AMD-V (SVM) in the firmware setup"
                : $"{cpu}, but no /dev/kvm: load the module ('modprobe kvm_intel' or 'modprobe kvm_amd')";
            return PreflightCheck.Warn("virtualisation", $"{why}; until then KubeVirt emulates (slow)");
        }
        if (!input.Root.IsRecording && CannotOpen(kvm) is { } error)
        {
            return PreflightCheck.Warn("virtualisation", $"/dev/kvm exists but cannot be opened ({error}): KubeVirt would emulate; check its permissions and that no other hypervisor holds VT-x");
        }
        return PreflightCheck.Pass("virtualisation", cpu is not null || Oci.Platform.HostArchitecture == "arm64" ? $"{cpu ?? "arm64"} and /dev/kvm" : "/dev/kvm (the CPU flags show no vmx/svm: a nested or arm guest)");
    }

    private static string? CannotOpen(string device)
    {
        try
        {
            using var stream = new FileStream(device, FileMode.Open, FileAccess.ReadWrite);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return e.Message;
        }
    }

    /// <summary>The kvm module's nested parameter: whether VMs may run VMs; on a node that is itself a VM, whether its host passes VT-x through.</summary>
    public static PreflightCheck Nested(NodeCheckInput input)
    {
        var flags = CpuFlags(input.Root);
        var guest = flags.Contains("hypervisor");
        if (guest && !flags.Contains("vmx") && !flags.Contains("svm"))
        {
            return File.Exists(input.Root.Map(KvmDevice))
                ? PreflightCheck.Pass("nested virtualisation", "this node is itself a VM, and its host gives it /dev/kvm")
                : PreflightCheck.Warn("nested virtualisation", "this node is itself a VM and its host does not pass VT-x/AMD-V through: enable nested virtualisation on the host (for KVM: 'options kvm_intel nested=1'), or KubeVirt emulates");
        }
        var parameter = new[] { "kvm_intel", "kvm_amd" }.Select(m => input.Root.Map($"/sys/module/{m}/parameters/nested")).FirstOrDefault(File.Exists);
        if (parameter is null)
        {
            return PreflightCheck.Pass("nested virtualisation", "no kvm_intel or kvm_amd module loaded to ask");
        }
        var on = File.ReadAllText(parameter).Trim() is "Y" or "1";
        return PreflightCheck.Pass("nested virtualisation", on
            ? $"on ({Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(parameter)))}): VMs may run VMs"
            : "off: only needed for VMs that run VMs ('options kvm_intel nested=1' or 'options kvm_amd nested=1' in /etc/modprobe.d/)");
    }

    /// <summary>VT-d/AMD-Vi: PCI passthrough (a GPU or NIC to a VM) needs it; nothing else does.</summary>
    public static PreflightCheck Iommu(NodeCheckInput input)
    {
        var units = input.Root.Map("/sys/class/iommu");
        var found = Directory.Exists(units) ? Directory.GetFileSystemEntries(units).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList() : [];
        if (found.Count > 0)
        {
            return PreflightCheck.Pass("iommu", $"on ({string.Join(", ", found)}): PCI devices can be passed through to VMs");
        }
        var cmdline = input.Root.Map("/proc/cmdline");
        var asked = File.Exists(cmdline) && File.ReadAllText(cmdline).Split(' ').Any(w => w is "intel_iommu=on" or "amd_iommu=on");
        return PreflightCheck.Warn("iommu", asked
            ? "asked for on the kernel command line but not active: enable VT-d (Intel) or AMD-Vi/IOMMU in the firmware setup; only PCI passthrough needs it"
            : "off: PCI passthrough (a GPU or NIC to a VM) needs VT-d or AMD-Vi in the firmware and intel_iommu=on (Intel) on the kernel command line; nothing else needs it");
    }

    /// <summary>Memory for k3s, KubeVirt and CDI, and each example VM the bundle starts.</summary>
    public static PreflightCheck Memory(NodeCheckInput input)
    {
        var meminfo = input.Root.Map("/proc/meminfo");
        if (!File.Exists(meminfo))
        {
            return PreflightCheck.Warn("memory", $"{meminfo} is missing: not known");
        }
        var fields = File.ReadLines(meminfo).Select(l => l.Split(':', 2)).Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => long.TryParse(p[1].Trim().Split(' ')[0], out var kib) ? kib << 10 : 0, StringComparer.Ordinal);
        var total = fields.GetValueOrDefault("MemTotal");
        var available = fields.GetValueOrDefault("MemAvailable", total);
        var vms = input.Inventory?.Images.Count(i => i.Component == ComponentNames.Vm) ?? 0;
        var needed = PlatformMemory + vms * ExampleVmMemory;
        var what = $"{Gib(needed)} for k3s, KubeVirt and CDI{(vms > 0 ? $" and {vms} example VM{(vms > 1 ? "s" : "")} of 1 GiB" : "")}";
        if (total < needed)
        {
            return PreflightCheck.Fail("memory", $"{Gib(total)} in all, {what}: add memory, or build the bundle without example VMs");
        }
        return available < needed
            ? PreflightCheck.Warn("memory", $"{Gib(available)} free of {Gib(total)}, {what}: stop other programs first")
            : PreflightCheck.Pass("memory", $"{Gib(available)} free of {Gib(total)}, {what}");
    }

    private static string Gib(long bytes) => $"{bytes / (double)(1L << 30):0.#} GiB";
}
