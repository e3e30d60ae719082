using Kargo.Airgap.Bundle;
using Kargo.Airgap.Install;
using Kargo.Airgap.Install.Node;
using Kargo.Airgap.Tests.Infrastructure;

namespace Kargo.Airgap.Tests.Unit;

/// <summary>Every line of preflight and doctor against a stand-in host: the files a real Ubuntu or Fedora node has.</summary>
public sealed class NodeChecksTests : IDisposable
{
    private readonly StandInHost _host = new();

    private static Inventory Bundle(string? cluster = "k3s", params string[] files) => new()
    {
        Name = "demo",
        Version = "1",
        Platforms = ["linux/amd64"],
        Components = cluster is null ? null : [new InventoryComponent(cluster, cluster == "k3s" ? "v1.35.6+k3s1" : "1.30/stable", null)],
        Source = new InventorySource("spec/demo.yaml", "spec/images.lock"),
        Images = [],
        Entries = [.. files.Select(f => new InventoryEntry($"files/{f}", 1, new string('a', 64)))],
    };

    private PreflightCheck Check(string name, Inventory? inventory = null, string? nodeOs = null, DateTimeOffset? now = null, string? bundleFile = null)
    {
        var root = new HostRoot(_host.Root);
        var input = new NodeCheckInput(root, NodeOs.Read(root, nodeOs), inventory, bundleFile, null, null) { Now = now ?? DateTimeOffset.UtcNow };
        return Assert.Single(NodeChecks.Run(input), c => c.Name == name);
    }

    [Fact]
    public void The_distribution_and_its_family_come_from_os_release_or_node_os()
    {
        Assert.Equal(CheckOutcome.Warn, Check("os").Outcome);
        _host.Ubuntu();
        Assert.Equal("PASS os: Ubuntu 24.04.3 LTS (Ubuntu/Debian family)", Check("os").ToString());
        Assert.Equal(OsFamily.Rhel, NodeOs.Read(new HostRoot(_host.Root), "rocky:9.4").Family);
        _host.Write("/etc/os-release", "ID=arch\nPRETTY_NAME=\"Arch Linux\"\n");
        Assert.Contains("Kargo's quick starts are Ubuntu (recommended) and Fedora", Check("os").Message);
        Assert.Contains("--node-os only goes with --root", Assert.Throws<KargoException>(() => NodeOs.Read(new HostRoot("/"), "fedora")).Message);
    }

    [Fact]
    public void Virtualisation_needs_the_cpu_flag_and_dev_kvm_and_says_which_is_missing()
    {
        Assert.Contains("no vmx/svm CPU flag and no /dev/kvm: enable Intel VT-x or AMD-V (SVM) in the firmware setup", Check("virtualisation").Message);
        _host.Write("/proc/cpuinfo", "flags\t\t: fpu svm sse\n");
        Assert.Contains("svm (AMD-V), but no /dev/kvm: load the module", Check("virtualisation").Message);
        _host.Hypervisor("vmx");
        Assert.Equal("PASS virtualisation: vmx (Intel VT-x) and /dev/kvm", Check("virtualisation").ToString());
    }

    [Fact]
    public void Nested_virtualisation_is_read_from_the_kvm_module_and_a_guest_without_vtx_is_named()
    {
        _host.Write("/proc/cpuinfo", "flags\t\t: fpu hypervisor sse\n");
        Assert.Contains("this node is itself a VM and its host does not pass VT-x/AMD-V through", Check("nested virtualisation").ToString());
        _host.Write("/dev/kvm", "");
        Assert.Equal("PASS nested virtualisation: this node is itself a VM, and its host gives it /dev/kvm", Check("nested virtualisation").ToString());
        _host.Hypervisor().Write("/sys/module/kvm_intel/parameters/nested", "N\n");
        Assert.Equal(CheckOutcome.Pass, Check("nested virtualisation").Outcome);
        Assert.Contains("off: only needed for VMs that run VMs", Check("nested virtualisation").Message);
        _host.Write("/sys/module/kvm_intel/parameters/nested", "Y\n");
        Assert.Contains("on (kvm_intel)", Check("nested virtualisation").Message);
    }

    [Fact]
    public void The_iommu_is_on_when_the_kernel_has_units_and_warns_otherwise()
    {
        Assert.Contains("off: PCI passthrough", Check("iommu").ToString());
        Assert.StartsWith("WARN", Check("iommu").ToString());
        _host.Write("/proc/cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/sda1 intel_iommu=on");
        Assert.Contains("asked for on the kernel command line but not active: enable VT-d", Check("iommu").Message);
        _host.Folder("/sys/class/iommu/dmar0");
        Assert.Equal("PASS iommu: on (dmar0): PCI devices can be passed through to VMs", Check("iommu").ToString());
    }

    [Fact]
    public void Memory_counts_the_platform_and_each_example_vm()
    {
        _host.Hypervisor(memTotalKib: 1_000_000, memAvailableKib: 900_000);
        Assert.StartsWith("FAIL memory: 1 GiB in all, 2 GiB for k3s, KubeVirt and CDI", Check("memory").ToString());
        _host.Hypervisor(memTotalKib: 8_000_000, memAvailableKib: 2_500_000);
        var withVms = Bundle() with
        {
            Images = [.. new[] { "ubuntu", "fedora" }.Select(n => new InventoryImage { Reference = $"kargo.local/vm/{n}:1", Digest = Oci.Digest.Compute([1]), MediaType = Oci.MediaTypes.OciManifest, Platforms = ["linux/amd64"], Size = 1, Component = "vm" })],
        };
        Assert.Equal("WARN memory: 2.4 GiB free of 7.6 GiB, 4 GiB for k3s, KubeVirt and CDI and 2 example VMs of 1 GiB: stop other programs first", Check("memory", withVms).ToString());
        Assert.Equal(CheckOutcome.Pass, Check("memory").Outcome);
    }

    [Fact]
    public void Firewalld_is_read_from_its_saved_zones_and_the_missing_openings_are_given_as_commands()
    {
        Assert.Equal("PASS firewall: neither firewalld nor ufw is enabled", Check("firewall").ToString());
        _host.Write("/etc/systemd/system/multi-user.target.wants/firewalld.service", "")
            .Write("/etc/firewalld/firewalld.conf", "DefaultZone=FedoraServer\n");
        var closed = Check("firewall");
        Assert.Equal(CheckOutcome.Warn, closed.Outcome);
        Assert.Contains("firewall-cmd --permanent --zone=trusted --add-source=10.42.0.0/16; firewall-cmd --permanent --zone=trusted --add-source=10.43.0.0/16", closed.Message);
        Assert.Contains("firewall-cmd --permanent --zone=FedoraServer --add-port=6443/tcp", closed.Message);
        Assert.Contains("--add-port=8472/udp", closed.Message);

        _host.Write("/etc/firewalld/zones/trusted.xml", """<?xml version="1.0" encoding="utf-8"?><zone target="ACCEPT"><source address="10.42.0.0/16"/><source address="10.43.0.0/16"/></zone>""")
            .Write("/etc/firewalld/zones/FedoraServer.xml", """<?xml version="1.0" encoding="utf-8"?><zone><service name="ssh"/><port port="6443" protocol="tcp"/><port port="10250" protocol="tcp"/><port port="5001" protocol="tcp"/><port port="8472" protocol="udp"/></zone>""");
        Assert.Equal(CheckOutcome.Pass, Check("firewall").Outcome);
    }

    [Fact]
    public void Ufw_enabled_without_the_cluster_rules_warns_with_the_commands()
    {
        _host.Write("/etc/ufw/ufw.conf", "# /etc/ufw/ufw.conf\nENABLED=yes\nLOGLEVEL=low\n");
        var closed = Check("firewall");
        Assert.Contains("ufw is enabled and would block the cluster: run ufw allow from 10.42.0.0/16 to any; ufw allow from 10.43.0.0/16 to any; ufw allow 6443/tcp", closed.ToString());
        _host.Write("/etc/ufw/user.rules", string.Join("\n",
            "### tuple ### allow any any 0.0.0.0/0 any 10.42.0.0/16 in", "### tuple ### allow any any 0.0.0.0/0 any 10.43.0.0/16 in",
            "### tuple ### allow tcp 6443 0.0.0.0/0 any 0.0.0.0/0 in", "### tuple ### allow tcp 10250 0.0.0.0/0 any 0.0.0.0/0 in",
            "### tuple ### allow tcp 5001 0.0.0.0/0 any 0.0.0.0/0 in", "### tuple ### allow udp 8472 0.0.0.0/0 any 0.0.0.0/0 in", ""));
        Assert.Equal(CheckOutcome.Pass, Check("firewall").Outcome);
    }

    [Fact]
    public void An_enforcing_fedora_node_needs_the_bundled_policy_for_its_target_and_container_selinux()
    {
        _host.Fedora();
        var without = Check("selinux", Bundle());
        Assert.Equal("FAIL selinux: enforcing, and the bundle carries no k3s-selinux policy for el8 (k3s's install script would fetch it from rpm.rancher.io, unreachable here): build the bundle with spec.cluster.k3s.selinux: true", without.ToString());
        var bundle = Bundle("k3s", "k3s-selinux-1.6-1.el8.noarch.rpm", "k3s-selinux-1.6-1.el9.noarch.rpm");
        Assert.Equal("PASS selinux: enforcing: k3s-selinux-1.6-1.el8.noarch.rpm from the bundle is installed before k3s", Check("selinux", bundle).ToString());
        Assert.Contains("k3s-selinux-1.6-1.el9.noarch.rpm", Check("selinux", bundle, nodeOs: "rocky:9.4").Message);
        Assert.StartsWith("FAIL container-selinux: not installed", Check("container-selinux", bundle).ToString());
        _host.Folder("/usr/share/containers/selinux/contexts");
        Assert.Equal(CheckOutcome.Pass, Check("container-selinux", bundle).Outcome);

        _host.Fedora(enforcing: false);
        Assert.Equal("PASS selinux: permissive: nothing is refused (k3s's policy is not needed)", Check("selinux", Bundle()).ToString());
    }

    [Fact]
    public void A_clock_behind_the_bundle_or_before_any_release_fails()
    {
        var bundle = _host["/bundle.kargo"];
        _host.Write("/bundle.kargo", "x");
        File.SetLastWriteTimeUtc(bundle, new DateTime(2026, 11, 1, 12, 0, 0, DateTimeKind.Utc));
        Assert.StartsWith("FAIL clock: the clock says 2026-10-30 08:00 UTC, before the bundle was written (2026-11-01 12:00 UTC)", Check("clock", Bundle(), now: new DateTimeOffset(2026, 10, 30, 8, 0, 0, TimeSpan.Zero), bundleFile: bundle).ToString());
        Assert.StartsWith("FAIL clock: the clock says 2000-01-01", Check("clock", now: new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero)).ToString());
        Assert.Equal(CheckOutcome.Pass, Check("clock", Bundle(), now: new DateTimeOffset(2026, 11, 29, 0, 0, 0, TimeSpan.Zero), bundleFile: bundle).Outcome);
    }

    [Fact]
    public void The_bridge_a_bundled_network_names_must_exist_and_the_nic_to_bridge_is_suggested()
    {
        _host.Nic("enp3s0").Folder("/sys/class/net/virbr0/bridge");
        Assert.Equal("WARN bridge: no br0: VMs on the bridged network cannot start (NAT VMs can); 'kargo-offline bridge --nic enp3s0' prints the change and --apply makes it", Check("bridge").ToString());
        // A NetworkAttachmentDefinition of the unpacked bundle names another bridge.
        _host.Write("/var/lib/kargo/registry/manifests/lan.yaml", """
            apiVersion: k8s.cni.cncf.io/v1
            kind: NetworkAttachmentDefinition
            metadata: {name: lan}
            spec:
              config: '{"cniVersion": "0.3.1", "name": "lan", "type": "bridge", "bridge": "lan0", "ipam": {}}'
            """);
        Assert.Contains("no lan0:", Check("bridge").Message);
        _host.Folder("/sys/class/net/lan0/bridge").Folder("/sys/class/net/lan0/brif/enp3s0");
        Assert.Equal("PASS bridge: lan0 (with enp3s0): bridged VMs can join the LAN", Check("bridge").ToString());
    }

    [Fact]
    public void Without_a_bundle_only_the_nodes_own_checks_run()
    {
        _host.Ubuntu().Hypervisor().Nic();
        var root = new HostRoot(_host.Root);
        var names = NodeChecks.Run(new NodeCheckInput(root, NodeOs.Read(root, null), null, null, null, null)).Select(c => c.Name).ToList();
        Assert.DoesNotContain("architecture", names);
        Assert.DoesNotContain("cluster", names);
        Assert.Contains("virtualisation", names);
        Assert.Contains("bridge", names);
    }

    [Fact]
    public void Disk_is_measured_against_the_bundle_and_the_content_folder()
    {
        Assert.Equal(CheckOutcome.Pass, Check("disk", Bundle()).Outcome);
        var huge = Bundle() with { Entries = [new InventoryEntry("files/huge", 1L << 50, new string('a', 64))] };
        Assert.Matches("^FAIL disk: [0-9]+ MiB free at .+ but the unpack needs 1181116006 MiB: free some space$", Check("disk", huge).ToString());
    }

    [Fact]
    public void Ports_held_by_another_program_are_named_and_under_root_only_warn()
    {
        using var holder = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        holder.Start();
        var address = (System.Net.IPEndPoint)holder.LocalEndpoint;
        var root = new HostRoot(_host.Root);
        var checks = NodeChecks.Run(new NodeCheckInput(root, NodeOs.Read(root, null), Bundle(), null, address, null));
        Assert.Equal($"WARN registry port: {address} is in use by another program: stop it, or choose --addr", checks.Single(c => c.Name == "registry port").ToString());
        Assert.Contains(checks, c => c.Name == "cluster ports");
        Assert.Equal("PASS systemd: not needed: under --root units are written only", checks.Single(c => c.Name == "systemd").ToString());
        Assert.Equal($"PASS root: not needed: files go under {_host.Root}, no command runs", checks.Single(c => c.Name == "root").ToString());
        // A microk8s bundle has no k3s ports to check.
        Assert.DoesNotContain(NodeChecks.Run(new NodeCheckInput(root, NodeOs.Read(root, null), Bundle("microk8s"), null, null, null)), c => c.Name == "cluster ports");
    }

    public void Dispose() => _host.Dispose();
}
