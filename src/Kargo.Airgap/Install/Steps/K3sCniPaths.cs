namespace Kargo.Airgap.Install.Steps;

/// <summary>
/// The standard CNI folders on a k3s node. CNAO (cluster-network-addons-operator, pkg/network/cni)
/// installs Multus and the bridge plugin into /etc/cni/net.d and /opt/cni/bin, fixed outside
/// OpenShift; k3s's containerd reads $DATA_DIR/agent/etc/cni/net.d and, from the October 2024
/// releases (v1.28.15, v1.29.10, v1.30.6, v1.31.2 and every later minor), $DATA_DIR/data/cni —
/// before them $DATA_DIR/data/current/bin (k3s documentation, "Multus and IPAM plugins"). Linking
/// each standard folder to k3s's, before k3s starts, makes what CNAO writes be what k3s reads.
/// A standard folder that already holds files is left as it is, with a warning.
/// </summary>
public static class K3sCniPaths
{
    public const string ConfigFolder = "/etc/cni/net.d";
    public const string PluginFolder = "/opt/cni/bin";
    public const string K3sConfigFolder = "/var/lib/rancher/k3s/agent/etc/cni/net.d";

    private static readonly (int Minor, int Patch)[] FixedPathFrom = [(28, 15), (29, 10), (30, 6), (31, 2)];

    /// <summary>Where k3s of this version (v1.30.4+k3s1) looks for CNI plugins; the newest layout when the version is unknown.</summary>
    public static string K3sPluginFolder(string? version)
    {
        var text = version?.TrimStart('v') ?? "";
        var end = text.IndexOfAny(['+', '-']);
        if (!Version.TryParse(end < 0 ? text : text[..end], out var parsed) || parsed.Major != 1 || parsed.Minor > 31)
        {
            return "/var/lib/rancher/k3s/data/cni";
        }
        var fixedFrom = FixedPathFrom.FirstOrDefault(f => f.Minor == parsed.Minor);
        return fixedFrom != default && parsed.Build >= fixedFrom.Patch ? "/var/lib/rancher/k3s/data/cni" : "/var/lib/rancher/k3s/data/current/bin";
    }

    public static IEnumerable<(string Standard, string K3s)> Links(string? k3sVersion) =>
        [(ConfigFolder, K3sConfigFolder), (PluginFolder, K3sPluginFolder(k3sVersion))];

    /// <summary>Links each standard folder to k3s's; reports what it did or why it did not.</summary>
    public static void Link(InstallContext context, string? k3sVersion)
    {
        foreach (var (standard, k3s) in Links(k3sVersion))
        {
            var path = context.Root.Map(standard);
            Directory.CreateDirectory(context.Root.Map(k3s));
            var info = new DirectoryInfo(path);
            if (info.LinkTarget == k3s)
            {
                context.Did($"kept {standard} -> {k3s}");
                continue;
            }
            if (info.LinkTarget is not null || File.Exists(path) || info.Exists && info.EnumerateFileSystemInfos().Any())
            {
                context.Did($"WARN {standard} already exists and is not k3s's {k3s}: CNAO's Multus and bridge plugins will go there and k3s will not see them. Move its files into {k3s} and link {standard} to it");
                continue;
            }
            if (info.Exists)
            {
                info.Delete();
            }
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            Directory.CreateSymbolicLink(path, k3s);
            context.Did($"linked {standard} -> {k3s} (CNAO's CNI folders are k3s's)");
        }
    }
}
