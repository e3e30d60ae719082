using Kargo.Airgap.Spec;
using YamlDotNet.RepresentationModel;

namespace Kargo.Airgap.Install.Node;

/// <summary>
/// netplan (Ubuntu, Debian): a file of its own, read after the installer's (files are merged in name
/// order, later values win), that turns the NIC's own addressing off and gives br0 what the NIC had:
/// its addresses, routes and name servers, or DHCP.
/// </summary>
public static class NetplanBridge
{
    public const string Folder = "/etc/netplan";

    /// <summary>What the NIC's configuration may hold that the bridge takes over (netplan's ethernets/bridges keys).</summary>
    private static readonly string[] Addressing = ["dhcp4", "dhcp6", "addresses", "routes", "gateway4", "gateway6", "nameservers", "dhcp4-overrides", "dhcp6-overrides", "accept-ra"];

    public static BridgePlan Plan(HostRoot root, string nic, string bridge)
    {
        var taken = new Dictionary<string, object>(StringComparer.Ordinal);
        var from = new List<string>();
        var folder = root.Map(Folder);
        foreach (var file in Directory.Exists(folder) ? Directory.GetFiles(folder, "*.yaml").Order(StringComparer.Ordinal).ToArray() : [])
        {
            if (Ethernet(file, nic) is not { } ethernet)
            {
                continue;
            }
            from.Add(Path.GetFileName(file));
            foreach (var key in Addressing)
            {
                if (ethernet.Children.TryGetValue(new YamlScalarNode(key), out var value))
                {
                    taken[key] = Plain(value);
                }
            }
        }
        if (taken.Count == 0)
        {
            taken["dhcp4"] = true;
        }
        var bridgeConfig = YamlText.Map(("interfaces", new[] { nic }));
        foreach (var (key, value) in taken)
        {
            bridgeConfig[key] = value;
        }
        bridgeConfig["parameters"] = YamlText.Map(("stp", false), ("forward-delay", 0));
        var yaml = $"# Written by kargo-offline bridge: {nic}'s addressing moves onto {bridge}, which holds {nic}, so bridged VMs join the LAN.\n# Undo with 'kargo-offline bridge --rollback'.\n"
            + YamlText.Write(YamlText.Map(("network", YamlText.Map(
                ("version", 2),
                ("ethernets", YamlText.Map((nic, YamlText.Map(("dhcp4", false), ("dhcp6", false))))),
                ("bridges", YamlText.Map((bridge, bridgeConfig)))))));
        return new BridgePlan("netplan", [new BridgeFile($"{Folder}/60-kargo-{bridge}.yaml", yaml, UnixFileMode.UserRead | UnixFileMode.UserWrite)], Folder,
            [new HostCommand("netplan", ["apply"])],
            // netplan apply leaves a bridge it no longer defines in place.
            [new HostCommand("ip", ["link", "delete", bridge]), new HostCommand("netplan", ["apply"])],
            [from.Count == 0 ? $"{nic} has no netplan configuration here: {bridge} takes its address by DHCP" : $"{bridge} takes {nic}'s {string.Join(", ", taken.Keys)} from {string.Join(", ", from)}"]);
    }

    private static YamlMappingNode? Ethernet(string file, string nic)
    {
        try
        {
            var stream = YamlText.Load(File.ReadAllText(file), file);
            return stream.Documents.FirstOrDefault()?.RootNode is YamlMappingNode root
                && root.Children.TryGetValue(new YamlScalarNode("network"), out var network) && network is YamlMappingNode networkMap
                && networkMap.Children.TryGetValue(new YamlScalarNode("ethernets"), out var ethernets) && ethernets is YamlMappingNode ethernetMap
                && ethernetMap.Children.TryGetValue(new YamlScalarNode(nic), out var ethernet) && ethernet is YamlMappingNode config
                ? config : null;
        }
        catch (KargoException)
        {
            return null; // a file netplan itself would refuse; it is kept as it is
        }
    }

    /// <summary>A YAML node as plain values for the writer: maps, lists, and scalars (booleans and numbers stay unquoted).</summary>
    private static object Plain(YamlNode node) => node switch
    {
        YamlMappingNode map => map.Children.ToDictionary(c => c.Key.ToString(), c => Plain(c.Value)),
        YamlSequenceNode list => list.Children.Select(Plain).ToList(),
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain, Value: "true" or "false" } flag => flag.Value == "true",
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } scalar when long.TryParse(scalar.Value, out var number) => number,
        YamlScalarNode scalar => scalar.Value ?? "",
        _ => "",
    };
}
