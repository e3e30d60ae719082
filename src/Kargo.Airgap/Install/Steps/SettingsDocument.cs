using System.Text.Json.Nodes;
using Kargo.Airgap.Install.Kubernetes;
using static Kargo.Airgap.Spec.YamlText;

namespace Kargo.Airgap.Install.Steps;

/// <summary>Settings documents share their target's apiVersion, kind, name and namespace.</summary>
internal static class SettingsDocument
{
    public static Dictionary<string, object> For(ManifestObject resource, Dictionary<string, object> spec)
    {
        var metadata = Map(("name", resource.Name));
        if (resource.Namespace is { } ns)
        {
            metadata["namespace"] = ns;
        }
        return Map(("apiVersion", resource.ApiVersion), ("kind", resource.Kind), ("metadata", metadata), ("spec", spec));
    }

    /// <summary>The strings of a list field, in order.</summary>
    public static IEnumerable<string> Strings(JsonNode? node) => (node as JsonArray ?? []).Select(v => v?.ToString()).OfType<string>();
}
