using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Xml.Linq;
using Kargo.Airgap.Bundle;
using Kargo.Airgap.Install.Kubernetes;
using Kargo.Airgap.Install.Steps;
using Kargo.Airgap.Spec;
using YamlDotNet.RepresentationModel;

namespace Kargo.Airgap.Install.Node;

/// <summary>The node's network as k3s and bridged VMs need it: free ports, the firewall's openings, the VM bridge.</summary>
public static class NetworkChecks
{
    /// <summary>k3s's pod and service networks (its defaults), which its docs have firewalld and ufw trust.</summary>
    public static readonly IReadOnlyList<string> ClusterNetworks = ["10.42.0.0/16", "10.43.0.0/16"];

    /// <summary>The bridge the reference spec's NetworkAttachmentDefinition names.</summary>
    public const string DefaultBridge = "br0";

    public static PreflightCheck RegistryPort(NodeCheckInput input, IPEndPoint address)
    {
        if (IsFree(address))
        {
            return PreflightCheck.Pass("registry port", $"{address} is free");
        }
        return File.Exists(input.Root.Map(RegistryStep.UnitPath))
            ? PreflightCheck.Pass("registry port", $"{address} is held by kargo-registry.service, which restarts with this bundle")
            : new PreflightCheck("registry port", input.HostOutcome, $"{address} is in use by another program: stop it, or choose --addr");
    }

    /// <summary>What a k3s server listens on: the API and the kubelet (and the embedded registry where the release has it).</summary>
    public static PreflightCheck ClusterPorts(NodeCheckInput input)
    {
        var ports = ServerPorts(input);
        var busy = ports.Where(p => !IsFree(new IPEndPoint(IPAddress.Any, p))).ToList();
        if (busy.Count == 0)
        {
            return PreflightCheck.Pass("cluster ports", $"TCP {string.Join(", ", ports)} are free");
        }
        return File.Exists(input.Root.Map(K3sFiles.Binary))
            ? PreflightCheck.Pass("cluster ports", $"TCP {string.Join(", ", busy)} in use, by the k3s installed here (it is refreshed)")
            : new PreflightCheck("cluster ports", input.HostOutcome, $"TCP {string.Join(", ", busy)} in use by another program (another Kubernetes?): k3s needs {string.Join(", ", ports)}; stop it first");
    }

    private static List<int> ServerPorts(NodeCheckInput input) =>
        [6443, 10250, .. K3sEmbeddedRegistry.SupportedBy(input.Inventory?.Component(ComponentNames.K3s)?.Version) ? [5001] : Array.Empty<int>()];

    private static bool IsFree(IPEndPoint address)
    {
        try
        {
            using var listener = new TcpListener(address);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>
    /// firewalld or ufw, read from their saved configuration: k3s's docs have the pod and service networks
    /// trusted and the API port open; other nodes also need the registry, the kubelet, flannel's VXLAN
    /// and (with the embedded registry) Spegel's port.
    /// </summary>
    public static PreflightCheck Firewall(NodeCheckInput input)
    {
        var root = input.Root;
        var registryPort = input.RegistryAddress?.Port;
        var tcp = new List<int> { 6443 };
        if (registryPort is { } port)
        {
            tcp.Add(port);
        }
        tcp.AddRange([10250, 5001]);
        if (File.Exists(root.Map("/etc/systemd/system/multi-user.target.wants/firewalld.service")))
        {
            var zone = DefaultZone(root);
            var open = ZoneEntries(root, zone, "port").Select(p => $"{p.Attribute("port")?.Value}/{p.Attribute("protocol")?.Value}").ToHashSet(StringComparer.Ordinal);
            var trusted = ZoneEntries(root, "trusted", "source").Select(s => s.Attribute("address")?.Value).OfType<string>().ToHashSet(StringComparer.Ordinal);
            var missing = ClusterNetworks.Where(n => !trusted.Contains(n)).Select(n => $"firewall-cmd --permanent --zone=trusted --add-source={n}")
                .Concat(tcp.Select(p => $"{p}/tcp").Append("8472/udp").Where(p => !open.Contains(p)).Select(p => $"firewall-cmd --permanent --zone={zone} --add-port={p}"))
                .ToList();
            return missing.Count == 0
                ? PreflightCheck.Pass("firewall", $"firewalld trusts {string.Join(" and ", ClusterNetworks)} and opens {string.Join(", ", tcp)}/tcp and 8472/udp in zone {zone}")
                : PreflightCheck.Warn("firewall", $"firewalld is enabled (zone {zone}) and would block the cluster: run {string.Join("; ", missing)}; firewall-cmd --reload");
        }
        if (File.Exists(root.Map("/etc/ufw/ufw.conf")) && File.ReadLines(root.Map("/etc/ufw/ufw.conf")).Any(l => l.Trim() is "ENABLED=yes"))
        {
            var rules = File.Exists(root.Map("/etc/ufw/user.rules")) ? File.ReadAllText(root.Map("/etc/ufw/user.rules")) : "";
            var missing = ClusterNetworks.Where(n => !rules.Contains($" {n} in", StringComparison.Ordinal)).Select(n => $"ufw allow from {n} to any")
                .Concat(tcp.Where(p => !rules.Contains($"allow tcp {p} ", StringComparison.Ordinal)).Select(p => $"ufw allow {p}/tcp"))
                .Concat(rules.Contains("allow udp 8472 ", StringComparison.Ordinal) ? [] : ["ufw allow 8472/udp"])
                .ToList();
            return missing.Count == 0
                ? PreflightCheck.Pass("firewall", $"ufw allows {string.Join(" and ", ClusterNetworks)} and {string.Join(", ", tcp)}/tcp, 8472/udp")
                : PreflightCheck.Warn("firewall", $"ufw is enabled and would block the cluster: run {string.Join("; ", missing)}");
        }
        return PreflightCheck.Pass("firewall", "neither firewalld nor ufw is enabled");
    }

    private static string DefaultZone(HostRoot root)
    {
        var conf = root.Map("/etc/firewalld/firewalld.conf");
        var line = File.Exists(conf) ? File.ReadLines(conf).Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("DefaultZone=", StringComparison.Ordinal)) : null;
        var zone = line?["DefaultZone=".Length..].Trim();
        return zone is { Length: > 0 } && Names.Word().IsMatch(zone) ? zone : "public";
    }

    /// <summary>The saved zone's elements of a kind (port, source), from /etc/firewalld/zones, else the packaged default.</summary>
    private static IEnumerable<XElement> ZoneEntries(HostRoot root, string zone, string element)
    {
        var path = new[] { $"/etc/firewalld/zones/{zone}.xml", $"/usr/lib/firewalld/zones/{zone}.xml" }.Select(root.Map).FirstOrDefault(File.Exists);
        if (path is null)
        {
            return [];
        }
        try
        {
            return XDocument.Load(path).Root?.Elements(element) ?? [];
        }
        catch (System.Xml.XmlException)
        {
            return [];
        }
    }

    /// <summary>The bridges bridged VMs use: those the unpacked NetworkAttachmentDefinitions name (bridge CNI), else br0.</summary>
    public static IReadOnlyList<string> Bridges(NodeCheckInput input)
    {
        var folder = Path.Combine(input.Content, BundleLayout.ManifestsFolder);
        var named = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in Directory.Exists(folder) ? Directory.GetFiles(folder, "*.yaml") : [])
        {
            try
            {
                foreach (var definition in ManifestObject.Read(file).Where(o => o.Kind == "NetworkAttachmentDefinition"))
                {
                    if (BridgeOf(definition) is { } bridge)
                    {
                        named.Add(bridge);
                    }
                }
            }
            catch (KargoException)
            {
                // Not a manifest this check can read; the platform step reports it.
            }
        }
        return named.Count > 0 ? [.. named] : [DefaultBridge];
    }

    /// <summary>The bridge a NetworkAttachmentDefinition's CNI config (spec.config, JSON) names for the bridge plugin.</summary>
    private static string? BridgeOf(ManifestObject definition)
    {
        var root = YamlText.Load(definition.Yaml, definition.Source).Documents[0].RootNode;
        if (root is not YamlMappingNode map || !map.Children.TryGetValue("spec", out var spec) || spec is not YamlMappingNode specMap || !specMap.Children.TryGetValue("config", out var config))
        {
            return null;
        }
        try
        {
            using var cni = JsonDocument.Parse(config.ToString());
            return cni.RootElement is { ValueKind: JsonValueKind.Object } plugin
                && plugin.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "bridge"
                && plugin.TryGetProperty("bridge", out var bridge) && bridge.ValueKind == JsonValueKind.String && bridge.GetString() is { } name && BridgeConfig.IsInterfaceName(name)
                ? name : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static PreflightCheck Bridge(NodeCheckInput input)
    {
        var results = new List<string>();
        var missing = new List<string>();
        foreach (var bridge in Bridges(input))
        {
            var path = input.Root.Map($"/sys/class/net/{bridge}");
            if (!Directory.Exists(path))
            {
                missing.Add(bridge);
            }
            else if (!Directory.Exists(Path.Combine(path, "bridge")))
            {
                return PreflightCheck.Warn("bridge", $"{bridge} exists but is not a bridge: bridged VMs need a Linux bridge of that name");
            }
            else
            {
                var ports = Directory.Exists(Path.Combine(path, "brif")) ? Directory.GetFileSystemEntries(Path.Combine(path, "brif")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList() : [];
                results.Add($"{bridge} ({(ports.Count == 0 ? "no NIC in it yet" : "with " + string.Join(", ", ports))})");
            }
        }
        if (missing.Count == 0)
        {
            return PreflightCheck.Pass("bridge", $"{string.Join(", ", results)}: bridged VMs can join the LAN");
        }
        var nics = BridgeConfig.PhysicalNics(input.Root);
        var suggestion = nics.Count == 1 ? $"'kargo-offline bridge --nic {nics[0]}' prints the change and --apply makes it" : $"'kargo-offline bridge --nic NIC' ({(nics.Count == 0 ? "no wired NIC found" : "NICs: " + string.Join(", ", nics))}) prints the change and --apply makes it";
        return PreflightCheck.Warn("bridge", $"no {string.Join(", ", missing)}: VMs on the bridged network cannot start (NAT VMs can); {suggestion}");
    }

    /// <summary>The clock: a node far behind the bundle's date would take every certificate for 'not yet valid'.</summary>
    public static PreflightCheck Clock(NodeCheckInput input)
    {
        var now = input.Now;
        var floor = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        if (now < floor)
        {
            return PreflightCheck.Fail("clock", $"the clock says {now:yyyy-MM-dd HH:mm} UTC, before any release this bundle can hold: set it ('timedatectl set-time \"YYYY-MM-DD HH:MM\"', then 'hwclock --systohc') or certificates are 'not yet valid'");
        }
        if (input.BundleFile is { } bundle && File.Exists(bundle) && new DateTimeOffset(File.GetLastWriteTimeUtc(bundle), TimeSpan.Zero) is var written && now < written.AddHours(-1))
        {
            return PreflightCheck.Fail("clock", $"the clock says {now:yyyy-MM-dd HH:mm} UTC, before the bundle was written ({written:yyyy-MM-dd HH:mm} UTC): set it ('timedatectl set-time \"YYYY-MM-DD HH:MM\"', then 'hwclock --systohc') or the registry's and k3s's certificates are 'not yet valid'");
        }
        return PreflightCheck.Pass("clock", $"{now:yyyy-MM-dd HH:mm} UTC{(input.BundleFile is null ? "" : ", after the bundle was written")}");
    }
}
