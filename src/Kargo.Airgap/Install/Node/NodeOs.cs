namespace Kargo.Airgap.Install.Node;

/// <summary>The distribution families Kargo's quick starts cover: Ubuntu/Debian (netplan) and Fedora/RHEL-likes (NetworkManager, SELinux).</summary>
public enum OsFamily
{
    Other,
    Debian,
    Rhel,
}

/// <summary>
/// The node's distribution, from /etc/os-release (os-release(5): ID, ID_LIKE, VERSION_ID, PRETTY_NAME),
/// or under --root as --node-os ID[:VERSION] says.
/// </summary>
public sealed record NodeOs(string Id, string VersionId, string Name, IReadOnlyList<string> Like)
{
    public const string ReleaseFile = "/etc/os-release";

    public OsFamily Family => new[] { Id }.Concat(Like).Select(FamilyOf).FirstOrDefault(f => f != OsFamily.Other);

    public bool Known => Id != "unknown";

    private static OsFamily FamilyOf(string id) => id switch
    {
        "ubuntu" or "debian" => OsFamily.Debian,
        "fedora" or "rhel" or "centos" or "rocky" or "almalinux" => OsFamily.Rhel,
        _ => OsFamily.Other,
    };

    public override string ToString() => Known ? $"{Name} ({Family switch { OsFamily.Debian => "Ubuntu/Debian family", OsFamily.Rhel => "Fedora/RHEL family", _ => "not a family Kargo's quick starts cover" }})" : "unknown";

    /// <summary>The node's os-release, or the override (--node-os, only under --root).</summary>
    public static NodeOs Read(HostRoot root, string? nodeOs)
    {
        if (nodeOs is not null)
        {
            if (!root.IsRecording)
            {
                throw new KargoException("--node-os only goes with --root: on a node, /etc/os-release says what it is");
            }
            var parts = nodeOs.Split(':', 2);
            if (!System.Text.RegularExpressions.Regex.IsMatch(parts[0], "^[a-z0-9._-]{1,32}\\z") || parts.Length == 2 && !System.Text.RegularExpressions.Regex.IsMatch(parts[1], "^[A-Za-z0-9._-]{1,32}\\z"))
            {
                throw new KargoException($"--node-os '{Terminal.Printable(nodeOs)}' is not ID[:VERSION] as /etc/os-release names them, such as ubuntu:24.04 or fedora:43");
            }
            return new NodeOs(parts[0], parts.Length == 2 ? parts[1] : "", $"{parts[0]} {(parts.Length == 2 ? parts[1] : "")}".Trim(), []);
        }
        var path = root.Map(ReleaseFile);
        return File.Exists(path) ? Parse(File.ReadAllText(path)) : new NodeOs("unknown", "", "unknown", []);
    }

    /// <summary>KEY=VALUE lines, values optionally quoted.</summary>
    public static NodeOs Parse(string text)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')))
        {
            var equals = line.IndexOf('=');
            if (equals > 0)
            {
                fields[line[..equals]] = Terminal.Printable(line[(equals + 1)..].Trim('"', '\''));
            }
        }
        var id = fields.GetValueOrDefault("ID", "linux");
        var version = fields.GetValueOrDefault("VERSION_ID", "");
        return new NodeOs(id, version, fields.GetValueOrDefault("PRETTY_NAME", $"{id} {version}".Trim()), fields.GetValueOrDefault("ID_LIKE", "").Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }
}
