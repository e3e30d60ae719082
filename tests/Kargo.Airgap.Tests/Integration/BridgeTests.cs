using Kargo.Airgap.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;
using static Kargo.Airgap.Tests.Infrastructure.Cli;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>kargo-offline bridge under --root: the netplan file (Ubuntu) and NetworkManager keyfiles (Fedora) it writes, read back, and a rollback that restores the node's own files byte for byte.</summary>
public sealed class BridgeTests : IDisposable
{
    private readonly StandInHost _host = new();

    private Task<ProcessResult> BridgeAsync(params string[] args) => OfflineAsync(["bridge", "--root", _host.Root, .. args]);

    private Dictionary<string, byte[]> Folder(string nodePath) =>
        Directory.GetFiles(_host[nodePath]).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);

    private string[] Commands() => File.ReadAllLines(_host["/var/lib/kargo/commands.log"]);

    private const string CloudInit = """
        # This file is generated from information provided by the datasource.
        network:
            ethernets:
                enp3s0:
                    addresses:
                    - 192.168.1.20/24
                    nameservers:
                        addresses: [192.168.1.1]
                        search: [lan]
                    routes:
                    -   to: default
                        via: 192.168.1.1
            version: 2
        """;

    [Fact]
    public async Task On_ubuntu_the_nics_static_address_moves_to_br0_in_a_netplan_file_of_its_own_and_rollback_restores_the_folder()
    {
        _host.Ubuntu().Nic().Write("/etc/netplan/50-cloud-init.yaml", CloudInit);
        var before = Folder("/etc/netplan");

        var shown = AssertOk(await BridgeAsync("--nic", "enp3s0"));
        Assert.Contains("# /etc/netplan/60-kargo-br0.yaml (mode 600)", shown.Stdout);
        Assert.Contains("nothing was changed", shown.Stdout);
        Assert.Equal(before.Keys, Folder("/etc/netplan").Keys);

        var applied = AssertOk(await BridgeAsync("--nic", "enp3s0", "--apply"));
        Assert.Contains("wrote /etc/netplan/60-kargo-br0.yaml", applied.Stdout);
        Assert.Equal(["netplan apply"], Commands());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_host["/etc/netplan/60-kargo-br0.yaml"]));
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(_host["/etc/netplan/60-kargo-br0.yaml"])));
        var network = (YamlMappingNode)yaml.Documents[0].RootNode["network"];
        Assert.Equal("false", network["ethernets"]["enp3s0"]["dhcp4"].ToString());
        var br0 = (YamlMappingNode)network["bridges"]["br0"];
        Assert.Equal(["enp3s0"], ((YamlSequenceNode)br0["interfaces"]).Children.Select(c => c.ToString()));
        Assert.Equal(["192.168.1.20/24"], ((YamlSequenceNode)br0["addresses"]).Children.Select(c => c.ToString()));
        Assert.Equal("192.168.1.1", br0["routes"][0]["via"].ToString());
        Assert.Equal("192.168.1.1", br0["nameservers"]["addresses"][0].ToString());
        Assert.False(((YamlMappingNode)br0).Children.ContainsKey("dhcp4"));

        var again = await BridgeAsync("--nic", "enp3s0", "--apply");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("a bridge change is applied already", again.Stderr);

        AssertOk(await BridgeAsync("--rollback"));
        Assert.Equal(before.Keys.Order(), Folder("/etc/netplan").Keys.Order());
        Assert.All(before, f => Assert.Equal(f.Value, Folder("/etc/netplan")[f.Key]));
        Assert.Equal(["netplan apply", "ip link delete br0", "netplan apply"], Commands());
        Assert.False(Directory.Exists(_host["/var/lib/kargo/bridge-rollback"]));
    }

    [Fact]
    public async Task On_fedora_a_bridge_and_a_port_keyfile_take_the_nics_profile_which_stops_autoconnecting_and_rollback_restores_it()
    {
        var profile = "[connection]\nid=enp3s0\nuuid=5f6b1a2e-0000-4000-8000-000000000001\ntype=ethernet\ninterface-name=enp3s0\n\n[ipv4]\naddress1=192.168.1.30/24,192.168.1.1\ndns=192.168.1.1;\nmethod=manual\n\n[ipv6]\naddr-gen-mode=default\nmethod=auto\n";
        _host.Fedora().Nic().Write("/etc/NetworkManager/system-connections/enp3s0.nmconnection", profile);
        File.SetUnixFileMode(_host["/etc/NetworkManager/system-connections/enp3s0.nmconnection"], UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var before = Folder("/etc/NetworkManager/system-connections");

        AssertOk(await BridgeAsync("--nic", "enp3s0", "--apply"));
        var folder = _host["/etc/NetworkManager/system-connections"];
        Assert.Equal(["br0-port-enp3s0.nmconnection", "br0.nmconnection", "enp3s0.nmconnection"], Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.All(Directory.GetFiles(folder), f => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f)));
        var bridge = Ini(Path.Combine(folder, "br0.nmconnection"));
        Assert.Equal(("bridge", "br0", "manual", "192.168.1.30/24,192.168.1.1"), (bridge["connection"]["type"], bridge["connection"]["interface-name"], bridge["ipv4"]["method"], bridge["ipv4"]["address1"]));
        Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", bridge["connection"]["uuid"]);
        var port = Ini(Path.Combine(folder, "br0-port-enp3s0.nmconnection"));
        Assert.Equal(("ethernet", "enp3s0", "br0", "bridge"), (port["connection"]["type"], port["connection"]["interface-name"], port["connection"]["master"], port["connection"]["slave-type"]));
        Assert.Equal("false", Ini(Path.Combine(folder, "enp3s0.nmconnection"))["connection"]["autoconnect"]);
        Assert.Equal(["nmcli connection reload", "nmcli connection up br0"], Commands());

        AssertOk(await BridgeAsync("--rollback"));
        Assert.Equal(before.Keys, Folder("/etc/NetworkManager/system-connections").Keys);
        Assert.Equal(before["enp3s0.nmconnection"], Folder("/etc/NetworkManager/system-connections")["enp3s0.nmconnection"]);
        Assert.Equal(["nmcli connection reload", "nmcli connection up br0", "nmcli connection reload", "nmcli device connect enp3s0"], Commands());
    }

    [Fact]
    public async Task A_nic_the_node_does_not_have_is_refused_naming_the_ones_it_has()
    {
        _host.Ubuntu().Nic("eno1");
        var result = await BridgeAsync("--nic", "eth0");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("this node has no interface eth0: its wired NICs are eno1", result.Stderr);

        var noNetplan = await BridgeAsync("--nic", "eno1");
        Assert.Equal(1, noNetplan.ExitCode);
        Assert.Contains("has no /etc/netplan: its network is not configured by netplan", noNetplan.Stderr);

        var noNic = await BridgeAsync();
        Assert.Equal(2, noNic.ExitCode);
        Assert.Contains("--nic NIC is required", noNic.Stderr);
        Assert.Contains("there is no bridge change to roll back", (await BridgeAsync("--rollback")).Stderr);
    }

    private static Dictionary<string, Dictionary<string, string>> Ini(string path)
    {
        var sections = new Dictionary<string, Dictionary<string, string>>();
        var current = "";
        foreach (var line in File.ReadAllLines(path).Where(l => l.Length > 0))
        {
            if (line.StartsWith('['))
            {
                current = line.Trim('[', ']');
                sections[current] = [];
            }
            else
            {
                sections[current][line[..line.IndexOf('=')]] = line[(line.IndexOf('=') + 1)..];
            }
        }
        return sections;
    }

    public void Dispose() => _host.Dispose();
}
