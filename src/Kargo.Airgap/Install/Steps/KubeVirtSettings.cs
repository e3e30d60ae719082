using System.Text.Json.Nodes;
using Kargo.Airgap.Install.Kubernetes;
using static Kargo.Airgap.Spec.YamlText;

namespace Kargo.Airgap.Install.Steps;

/// <summary>
/// KubeVirt's CR: the bundle's feature gates added to those the CR has — the cluster's (a user's
/// among them) and the upstream CR's — less any its disabledFeatureGates names (the user's word wins),
/// and software emulation on a node without /dev/kvm.
/// </summary>
/// <param name="Gates">spec.kubevirt.featureGates.</param>
/// <param name="Emulation">The node has no /dev/kvm.</param>
public sealed record KubeVirtSettings(IReadOnlyList<string> Gates, bool Emulation) : IResourceSettings
{
    public bool Owns(ManifestObject resource) => resource is { Kind: "KubeVirt", Group: "kubevirt.io" };

    public Dictionary<string, object> Render(ManifestObject resource, JsonNode? cluster, JsonNode? bundled)
    {
        var developer = Map(("featureGates", MergedGates(cluster, bundled)));
        if (Emulation)
        {
            developer["useEmulation"] = true;
        }
        return SettingsDocument.For(resource, Map(("configuration", Map(("developerConfiguration", developer)))));
    }

    public string Summary(ManifestObject resource) =>
        $"{resource}: feature gates [{string.Join(", ", MergedGates(null, resource.Body))}] added to what it has, its disabledFeatureGates winning{(Emulation ? ", software emulation (no /dev/kvm)" : "")}";

    /// <summary>The cluster's CR's gates, the upstream CR's, then the bundle's, in that order and each once; none either CR disables.</summary>
    private List<string> MergedGates(JsonNode? cluster, JsonNode? bundled)
    {
        static IEnumerable<string> Listed(JsonNode? cr, string key) => SettingsDocument.Strings(cr?["spec"]?["configuration"]?["developerConfiguration"]?[key]);
        var disabled = Listed(cluster, "disabledFeatureGates").Concat(Listed(bundled, "disabledFeatureGates")).ToHashSet(StringComparer.Ordinal);
        return [.. Listed(cluster, "featureGates").Concat(Listed(bundled, "featureGates")).Concat(Gates).Distinct(StringComparer.Ordinal).Where(g => !disabled.Contains(g))];
    }
}
