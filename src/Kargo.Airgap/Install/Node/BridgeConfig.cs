using System.Text.RegularExpressions;

namespace Kargo.Airgap.Install.Node;

/// <summary>A file the bridge change writes: its node path, content and mode.</summary>
public sealed record BridgeFile(string Path, string Content, UnixFileMode Mode);

/// <summary>What moving a NIC's address onto a bridge takes: files to write and the command that applies them.</summary>
/// <param name="Tool">netplan or NetworkManager.</param>
/// <param name="Files">Written (new files, and existing ones changed).</param>
/// <param name="Folder">The folder the tool reads, kept whole in the rollback copy.</param>
/// <param name="Apply">Run after writing.</param>
/// <param name="Undo">Run after a rollback has put the folder back: the bridge gone, the NIC's own configuration applied.</param>
/// <param name="Notes">What was taken from the NIC's configuration.</param>
public sealed record BridgePlan(string Tool, IReadOnlyList<BridgeFile> Files, string Folder, IReadOnlyList<HostCommand> Apply, IReadOnlyList<HostCommand> Undo, IReadOnlyList<string> Notes);

/// <summary>
/// One NIC, bridged VMs: the node's address moves onto a bridge (br0) with the NIC in it, written the
/// way each family configures networks — netplan on Ubuntu/Debian, NetworkManager keyfiles on
/// Fedora/RHEL — so VMs on the bridge get addresses on the home LAN like the node.
/// </summary>
public static partial class BridgeConfig
{
    /// <summary>A Linux interface name: at most 15 characters, none of '/', whitespace or ':'.</summary>
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}\\z")]
    private static partial Regex InterfaceName();

    public static bool IsInterfaceName(string name) => InterfaceName().IsMatch(name);

    /// <summary>The node's wired NICs: interfaces backed by a device, not bridges, bonds or virtual ones.</summary>
    public static IReadOnlyList<string> PhysicalNics(HostRoot root)
    {
        var net = root.Map("/sys/class/net");
        return Directory.Exists(net)
            ? [.. Directory.GetFileSystemEntries(net).Select(Path.GetFileName).OfType<string>()
                .Where(n => IsInterfaceName(n) && Directory.Exists(Path.Combine(net, n, "device")) && !Directory.Exists(Path.Combine(net, n, "bridge")) && !Directory.Exists(Path.Combine(net, n, "wireless")))
                .Order(StringComparer.Ordinal)]
            : [];
    }

    public static BridgePlan Plan(HostRoot root, NodeOs os, string nic, string bridge)
    {
        foreach (var name in new[] { nic, bridge })
        {
            if (!IsInterfaceName(name))
            {
                throw new KargoException($"'{Terminal.Printable(name)}' is not an interface name (letters, digits, '.', '_', '-'; at most 15)");
            }
        }
        if (!Directory.Exists(root.Map($"/sys/class/net/{nic}")))
        {
            var nics = PhysicalNics(root);
            throw new KargoException($"this node has no interface {nic}: {(nics.Count == 0 ? "it shows no wired NIC" : "its wired NICs are " + string.Join(", ", nics))} ('ip link' lists them all)");
        }
        if (Directory.Exists(root.Map($"/sys/class/net/{bridge}")))
        {
            throw new KargoException($"{bridge} exists on this node already: nothing to do");
        }
        return os.Family switch
        {
            OsFamily.Debian when !Directory.Exists(root.Map(NetplanBridge.Folder)) =>
                throw new KargoException($"this node ({os}) has no {NetplanBridge.Folder}: its network is not configured by netplan (Debian's ifupdown?). Create {bridge} with {nic} in it there ('bridge_ports {nic}' in /etc/network/interfaces, with bridge-utils)"),
            OsFamily.Rhel when !Directory.Exists(root.Map("/etc/NetworkManager")) =>
                throw new KargoException($"this node ({os}) has no /etc/NetworkManager: its network is not configured by NetworkManager. Create {bridge} with {nic} in it by your system's means"),
            OsFamily.Debian => NetplanBridge.Plan(root, nic, bridge),
            OsFamily.Rhel => NetworkManagerBridge.Plan(root, nic, bridge),
            _ => throw new KargoException($"this node runs {os}; 'bridge' writes netplan (Ubuntu, Debian) or NetworkManager keyfiles (Fedora, RHEL-likes): create {bridge} with {nic} in it by your distribution's means"),
        };
    }
}
