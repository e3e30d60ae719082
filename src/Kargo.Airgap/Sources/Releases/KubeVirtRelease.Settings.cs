using System.Text.Json.Nodes;
using static Kargo.Airgap.Spec.YamlText;

namespace Kargo.Airgap.Sources.Releases;

/// <summary>
/// KubeVirt's CR: the bundle's feature gates added to those the CR has — the cluster's (a user's
/// among them) and the upstream CR's — less any its disabledFeatureGates names (the user's word
/// wins), and software emulation on a node without /dev/kvm.
/// </summary>
public sealed partial class KubeVirtRelease : IResourceSettings
{
    public bool Owns(string apiVersion, string kind) => kind == "KubeVirt" && ResourceLists.Group(apiVersion) == "kubevirt.io";

    public IReadOnlyList<string> Adds(NodeSettings node) => node.Gates;

    public Dictionary<string, object> SpecSettings(JsonNode? cluster, JsonNode? bundled, NodeSettings node, IReadOnlySet<string> withdrawn)
    {
        var developer = Map(("featureGates", MergedGates(cluster, bundled, node.Gates, withdrawn)));
        if (node.Emulation)
        {
            developer["useEmulation"] = true;
        }
        return Map(("configuration", Map(("developerConfiguration", developer))));
    }

    public string Summary(JsonNode? bundled, NodeSettings node) =>
        $"feature gates [{string.Join(", ", MergedGates(null, bundled, node.Gates, new HashSet<string>()))}] added to what it has, its disabledFeatureGates winning{(node.Emulation ? ", software emulation (no /dev/kvm)" : "")}";

    /// <summary>The cluster's CR's gates (less those kargo takes back), the upstream CR's, then the bundle's, in that order and each once; none either CR disables.</summary>
    private static List<string> MergedGates(JsonNode? cluster, JsonNode? bundled, IReadOnlyList<string> gates, IReadOnlySet<string> withdrawn)
    {
        static IEnumerable<string> Listed(JsonNode? cr, string key) => ResourceLists.Strings(cr?["spec"]?["configuration"]?["developerConfiguration"]?[key]);
        var disabled = Listed(cluster, "disabledFeatureGates").Concat(Listed(bundled, "disabledFeatureGates")).ToHashSet(StringComparer.Ordinal);
        return [.. Listed(cluster, "featureGates").Where(g => !withdrawn.Contains(g)).Concat(Listed(bundled, "featureGates")).Concat(gates).Distinct(StringComparer.Ordinal).Where(g => !disabled.Contains(g))];
    }
}
