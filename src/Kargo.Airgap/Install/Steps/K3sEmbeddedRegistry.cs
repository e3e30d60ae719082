using System.Text.RegularExpressions;

namespace Kargo.Airgap.Install.Steps;

/// <summary>
/// k3s's embedded registry mirror (Spegel, docs.k3s.io/installation/registry-mirror): a server
/// started with <c>embedded-registry: true</c> turns it on for the whole cluster, and each node
/// shares, for every registry its registries.yaml lists under mirrors, the images its containerd
/// holds. Nodes then pull from each other first, the listed endpoints (the first node's kargo
/// registry) next. Experimental from the January 2024 releases, GA from December 2024.
/// </summary>
public static partial class K3sEmbeddedRegistry
{
    /// <summary>The first patch release of each minor line that has the flag (v1.26.13, v1.27.10, v1.28.6, v1.29.1; every 1.30 and later).</summary>
    private static readonly Dictionary<int, int> FirstPatch = new() { [26] = 13, [27] = 10, [28] = 6, [29] = 1 };

    /// <summary>The ports every node must reach on every other: the peer-to-peer network and the registry on the supervisor port.</summary>
    public const string Ports = "TCP 5001 and 6443";

    /// <summary>True when the k3s release (v1.31.4+k3s1) knows the flag; false for older or unknown ones.</summary>
    public static bool SupportedBy(string? version)
    {
        if (version is null || VersionPattern().Match(version) is not { Success: true } match)
        {
            return false;
        }
        var (major, minor, patch) = (int.Parse(match.Groups[1].Value), int.Parse(match.Groups[2].Value), int.Parse(match.Groups[3].Value));
        return major > 1 || minor >= 30 || (FirstPatch.TryGetValue(minor, out var first) && patch >= first);
    }

    [GeneratedRegex(@"^v?(\d+)\.(\d+)\.(\d+)")]
    private static partial Regex VersionPattern();
}
