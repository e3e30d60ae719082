using System.Text.Json.Nodes;
using Kargo.Airgap.Install.Kubernetes;
using static Kargo.Airgap.Spec.YamlText;

namespace Kargo.Airgap.Install.Steps;

/// <summary>
/// What kargo sets in the platform's custom resources, merged with what they hold, never replacing
/// it: KubeVirt's feature gates are the bundle's added to those the CR has (its upstream list and a
/// user's), less any the CR's disabledFeatureGates names — the user's word wins — and software
/// emulation on a node without /dev/kvm; CDI trusts the local registry beside the registries it
/// already trusts.
/// </summary>
/// <param name="Gates">The bundle's feature gates (spec.kubevirt.featureGates).</param>
/// <param name="Emulation">The node has no /dev/kvm.</param>
/// <param name="InsecureRegistry">The registry CDI must reach over plain HTTP, if it must.</param>
public sealed record PlatformSettings(IReadOnlyList<string> Gates, bool Emulation, string? InsecureRegistry)
{
    /// <summary>The patches for the bundled KubeVirt and CDI resources.</summary>
    public IReadOnlyList<SettingsPatch> For(IEnumerable<ManifestObject> objects) =>
    [
        .. objects.Where(IsKubeVirt).Select(cr => new SettingsPatch(cr, (before, now) => Write([KubeVirt(cr, before, now)]))),
        .. objects.Where(IsCdi).Select(cr => new SettingsPatch(cr, (before, now) => Write([Cdi(cr, before, now)]))),
    ];

    /// <summary>The settings as written to the node's state folder, from the bundled resources alone.</summary>
    public IEnumerable<object> Documents(IEnumerable<ManifestObject> objects) =>
        objects.Where(IsKubeVirt).Select(cr => KubeVirt(cr, null, cr.Body)).Concat(objects.Where(IsCdi).Select(cr => Cdi(cr, null, cr.Body)));

    public IEnumerable<string> Summary(IEnumerable<ManifestObject> objects) =>
        objects.Where(IsKubeVirt).Select(cr => $"{cr}: feature gates [{string.Join(", ", MergedGates(null, cr.Body))}] added to what it has, its disabledFeatureGates winning{(Emulation ? ", software emulation (no /dev/kvm)" : "")}")
            .Concat(objects.Where(IsCdi).Select(cr => InsecureRegistry is null ? $"{cr}: nothing (the registry is reached over TLS)" : $"{cr}: trusts the registry {InsecureRegistry}"));

    private static bool IsKubeVirt(ManifestObject o) => o is { Kind: "KubeVirt", Group: "kubevirt.io" };

    private static bool IsCdi(ManifestObject o) => o is { Kind: "CDI", Group: "cdi.kubevirt.io" };

    private Dictionary<string, object> KubeVirt(ManifestObject cr, JsonNode? before, JsonNode? now)
    {
        var developer = Map(("featureGates", MergedGates(before, now)));
        if (Emulation)
        {
            developer["useEmulation"] = true;
        }
        return Map(("apiVersion", cr.ApiVersion), ("kind", cr.Kind), ("metadata", Metadata(cr)),
            ("spec", Map(("configuration", Map(("developerConfiguration", developer))))));
    }

    /// <summary>The CR's gates before and now, then the bundle's, in that order and each once; none the CR disables.</summary>
    private List<string> MergedGates(JsonNode? before, JsonNode? now)
    {
        static IEnumerable<string> Listed(JsonNode? cr, string key) =>
            (cr?["spec"]?["configuration"]?["developerConfiguration"]?[key] as JsonArray ?? []).Select(g => g?.ToString()).OfType<string>();
        var disabled = Listed(before, "disabledFeatureGates").Concat(Listed(now, "disabledFeatureGates")).ToHashSet(StringComparer.Ordinal);
        return [.. Listed(before, "featureGates").Concat(Listed(now, "featureGates")).Concat(Gates).Distinct(StringComparer.Ordinal).Where(g => !disabled.Contains(g))];
    }

    private Dictionary<string, object> Cdi(ManifestObject cr, JsonNode? before, JsonNode? now)
    {
        static IEnumerable<string> Trusted(JsonNode? node) => (node?["spec"]?["config"]?["insecureRegistries"] as JsonArray ?? []).Select(r => r?.ToString()).OfType<string>();
        List<string> registries = [.. Trusted(before).Concat(Trusted(now)).Concat(InsecureRegistry is null ? [] : [InsecureRegistry]).Distinct(StringComparer.Ordinal)];
        return Map(("apiVersion", cr.ApiVersion), ("kind", cr.Kind), ("metadata", Metadata(cr)),
            ("spec", Map(("config", Map(("insecureRegistries", registries))))));
    }

    private static Dictionary<string, object> Metadata(ManifestObject cr)
    {
        var metadata = Map(("name", cr.Name));
        if (cr.Namespace is { } ns)
        {
            metadata["namespace"] = ns;
        }
        return metadata;
    }
}
