using System.Text.Json.Nodes;
using static Kargo.Airgap.Spec.YamlText;

namespace Kargo.Airgap.Sources.Releases;

/// <summary>CDI's CR: the node's registry trusted over plain HTTP beside the registries it already trusts.</summary>
public sealed partial class CdiRelease : IResourceSettings
{
    public bool Owns(string apiVersion, string kind) => kind == "CDI" && ResourceLists.Group(apiVersion) == "cdi.kubevirt.io";

    public IReadOnlyList<string> Adds(NodeSettings node) => node.InsecureRegistry is { } registry ? [registry] : [];

    public Dictionary<string, object> SpecSettings(JsonNode? cluster, JsonNode? bundled, NodeSettings node, IReadOnlySet<string> withdrawn)
    {
        static IEnumerable<string> Trusted(JsonNode? cr) => ResourceLists.Strings(cr?["spec"]?["config"]?["insecureRegistries"]);
        List<string> registries = [.. Trusted(cluster).Where(r => !withdrawn.Contains(r)).Concat(Trusted(bundled)).Concat(node.InsecureRegistry is { } registry ? [registry] : []).Distinct(StringComparer.Ordinal)];
        return Map(("config", Map(("insecureRegistries", registries))));
    }

    public string Summary(JsonNode? bundled, NodeSettings node) =>
        node.InsecureRegistry is { } registry ? $"trusts the registry {registry}" : "nothing (the registry is reached over TLS)";
}
