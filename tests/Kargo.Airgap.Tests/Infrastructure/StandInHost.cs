namespace Kargo.Airgap.Tests.Infrastructure;

/// <summary>
/// A folder standing in for a node's / (for --root): the files the node checks and 'bridge' read —
/// /etc/os-release, /proc/cpuinfo and meminfo, /sys/fs/selinux/enforce, /sys/class/net — as a
/// real Ubuntu or Fedora machine has them (os-release values as those releases ship them).
/// </summary>
public sealed class StandInHost : IDisposable
{
    private readonly TempDir _dir = new();

    public string Root => _dir.Path;

    public string this[string nodePath] => Path.Combine(Root, nodePath.TrimStart('/'));

    public StandInHost Write(string nodePath, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(this[nodePath])!);
        File.WriteAllText(this[nodePath], content);
        return this;
    }

    public StandInHost Folder(string nodePath)
    {
        Directory.CreateDirectory(this[nodePath]);
        return this;
    }

    public StandInHost Ubuntu() => Write("/etc/os-release", """
        PRETTY_NAME="Ubuntu 24.04.3 LTS"
        NAME="Ubuntu"
        VERSION_ID="24.04"
        VERSION="24.04.3 LTS (Noble Numbat)"
        ID=ubuntu
        ID_LIKE=debian
        """);

    public StandInHost Fedora(bool enforcing = true) => Write("/etc/os-release", """
        NAME="Fedora Linux"
        VERSION="43 (Server Edition)"
        ID=fedora
        VERSION_ID=43
        PRETTY_NAME="Fedora Linux 43 (Server Edition)"
        VARIANT_ID=server
        """).Write("/sys/fs/selinux/enforce", enforcing ? "1" : "0");

    /// <summary>A machine with VT-x (or AMD-V), /dev/kvm and memory to spare.</summary>
    public StandInHost Hypervisor(string flag = "vmx", long memTotalKib = 32_000_000, long memAvailableKib = 30_000_000) =>
        Write("/proc/cpuinfo", $"processor\t: 0\nflags\t\t: fpu vme de pse tsc msr {flag} sse sse2\n")
            .Write("/dev/kvm", "")
            .Write("/proc/meminfo", $"MemTotal:       {memTotalKib} kB\nMemFree:        1000 kB\nMemAvailable:   {memAvailableKib} kB\n");

    /// <summary>A wired NIC as /sys/class/net shows one (a device link), and loopback.</summary>
    public StandInHost Nic(string name = "enp3s0") => Folder($"/sys/class/net/{name}/device").Folder("/sys/class/net/lo");

    public void Dispose() => _dir.Dispose();
}
