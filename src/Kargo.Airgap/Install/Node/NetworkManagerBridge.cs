using System.Security.Cryptography;
using System.Text;

namespace Kargo.Airgap.Install.Node;

/// <summary>
/// NetworkManager keyfiles (Fedora, RHEL-likes; nm-settings-keyfile(5)): a bridge profile that takes the
/// NIC profile's [ipv4] and [ipv6] (or DHCP), a port profile putting the NIC into the bridge, and the NIC's
/// own profile kept but no longer autoconnected. Keyfiles must be root's alone (mode 0600) or NetworkManager ignores them.
/// </summary>
public static class NetworkManagerBridge
{
    public const string Folder = "/etc/NetworkManager/system-connections";

    private const UnixFileMode KeyfileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static BridgePlan Plan(HostRoot root, string nic, string bridge)
    {
        var folder = root.Map(Folder);
        var existing = (Directory.Exists(folder) ? Directory.GetFiles(folder, "*.nmconnection").Order(StringComparer.Ordinal).ToArray() : [])
            .Select(f => (Path: f, Keyfile: Keyfile.Parse(File.ReadAllText(f))))
            .FirstOrDefault(k => k.Keyfile.Get("connection", "interface-name") == nic || k.Keyfile.Get("connection", "id") == nic);
        var files = new List<BridgeFile>();
        var bridgeProfile = new Keyfile();
        bridgeProfile.Set("connection", "id", bridge);
        bridgeProfile.Set("connection", "uuid", Uuid($"kargo-bridge/{bridge}"));
        bridgeProfile.Set("connection", "type", "bridge");
        bridgeProfile.Set("connection", "interface-name", bridge);
        bridgeProfile.Set("connection", "autoconnect", "true");
        bridgeProfile.Set("bridge", "stp", "false");
        foreach (var family in new[] { "ipv4", "ipv6" })
        {
            var section = existing.Keyfile?.Section(family);
            if (section is { Count: > 0 })
            {
                section.ForEach(kv => bridgeProfile.Set(family, kv.Key, kv.Value));
            }
            else
            {
                bridgeProfile.Set(family, "method", "auto");
            }
        }
        files.Add(new BridgeFile($"{Folder}/{bridge}.nmconnection", bridgeProfile.ToString(), KeyfileMode));

        var port = new Keyfile();
        port.Set("connection", "id", $"{bridge}-port-{nic}");
        port.Set("connection", "uuid", Uuid($"kargo-bridge/{bridge}/{nic}"));
        port.Set("connection", "type", "ethernet");
        port.Set("connection", "interface-name", nic);
        // master/slave-type: the names every NetworkManager reads (1.46 added controller/port-type as aliases).
        port.Set("connection", "master", bridge);
        port.Set("connection", "slave-type", "bridge");
        port.Set("connection", "autoconnect", "true");
        files.Add(new BridgeFile($"{Folder}/{bridge}-port-{nic}.nmconnection", port.ToString(), KeyfileMode));

        string note;
        if (existing.Keyfile is { } own)
        {
            own.Set("connection", "autoconnect", "false");
            files.Add(new BridgeFile($"{Folder}/{Path.GetFileName(existing.Path)}", own.ToString(), KeyfileMode));
            note = $"{bridge} takes [ipv4] and [ipv6] of {Path.GetFileName(existing.Path)}, which is kept with autoconnect=false";
        }
        else
        {
            note = $"{nic} has no keyfile here (an automatic 'Wired connection'): {bridge} takes its address by DHCP";
        }
        return new BridgePlan("NetworkManager", files, Folder,
            [new HostCommand("nmcli", ["connection", "reload"]), new HostCommand("nmcli", ["connection", "up", bridge])],
            [new HostCommand("nmcli", ["connection", "reload"]), new HostCommand("nmcli", ["device", "connect", nic])], [note]);
    }

    /// <summary>The same profile gets the same UUID on every run (a keyfile's uuid names the profile).</summary>
    private static string Uuid(string name)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(name))[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        var hex = Convert.ToHexStringLower(bytes);
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}";
    }

    /// <summary>An INI-style keyfile: sections and key=value lines, in their order; comments are not kept.</summary>
    private sealed class Keyfile
    {
        private readonly List<(string Name, List<KeyValuePair<string, string>> Entries)> _sections = [];

        public static Keyfile Parse(string text)
        {
            var keyfile = new Keyfile();
            string? section = null;
            foreach (var raw in text.Split('\n'))
            {
                var line = raw.Trim();
                if (line.Length == 0 || line[0] is '#' or ';')
                {
                    continue;
                }
                if (line.StartsWith('[') && line.EndsWith(']'))
                {
                    section = line[1..^1];
                    keyfile.SectionList(section);
                    continue;
                }
                var equals = line.IndexOf('=');
                if (section is not null && equals > 0)
                {
                    keyfile.Set(section, line[..equals].Trim(), line[(equals + 1)..].Trim());
                }
            }
            return keyfile;
        }

        public string? Get(string section, string key) => _sections.FirstOrDefault(s => s.Name == section).Entries?.FirstOrDefault(e => e.Key == key).Value;

        public List<KeyValuePair<string, string>>? Section(string name) => _sections.FirstOrDefault(s => s.Name == name).Entries;

        public void Set(string section, string key, string value)
        {
            var entries = SectionList(section);
            var index = entries.FindIndex(e => e.Key == key);
            if (index >= 0)
            {
                entries[index] = new(key, value);
            }
            else
            {
                entries.Add(new(key, value));
            }
        }

        private List<KeyValuePair<string, string>> SectionList(string name)
        {
            if (_sections.FirstOrDefault(s => s.Name == name).Entries is { } found)
            {
                return found;
            }
            var entries = new List<KeyValuePair<string, string>>();
            _sections.Add((name, entries));
            return entries;
        }

        public override string ToString() =>
            string.Join("\n", _sections.Select(s => $"[{s.Name}]\n" + string.Concat(s.Entries.Select(e => $"{e.Key}={e.Value}\n"))));
    }
}
