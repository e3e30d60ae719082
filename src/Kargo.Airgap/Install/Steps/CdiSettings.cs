using System.Text.Json.Nodes;
using Kargo.Airgap.Install.Kubernetes;
using static Kargo.Airgap.Spec.YamlText;

namespace Kargo.Airgap.Install.Steps;

/// <summary>CDI's CR: the local registry trusted over plain HTTP beside the registries it already trusts.</summary>
/// <param name="InsecureRegistry">The registry CDI must reach over plain HTTP; null when it is reached over TLS.</param>
public sealed record CdiSettings(string? InsecureRegistry) : IResourceSettings
{
    public bool Owns(ManifestObject resource) => resource is { Kind: "CDI", Group: "cdi.kubevirt.io" };

    public Dictionary<string, object> Render(ManifestObject resource, JsonNode? cluster, JsonNode? bundled)
    {
        static IEnumerable<string> Trusted(JsonNode? node) => SettingsDocument.Strings(node?["spec"]?["config"]?["insecureRegistries"]);
        List<string> registries = [.. Trusted(cluster).Concat(Trusted(bundled)).Concat(InsecureRegistry is null ? [] : [InsecureRegistry]).Distinct(StringComparer.Ordinal)];
        return SettingsDocument.For(resource, Map(("config", Map(("insecureRegistries", registries)))));
    }

    public string Summary(ManifestObject resource) =>
        InsecureRegistry is null ? $"{resource}: nothing (the registry is reached over TLS)" : $"{resource}: trusts the registry {InsecureRegistry}";
}
