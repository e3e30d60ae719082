using System.Text.Json.Nodes;
using Kargo.Airgap.Install.Kubernetes;
using Kargo.Airgap.Sources.Releases;
using static Kargo.Airgap.Spec.YamlText;

namespace Kargo.Airgap.Install.Steps;

/// <summary>
/// What kargo sets in the platform's custom resources: each component type that has settings
/// (<see cref="IResourceSettings"/>: KubeVirt, CDI) sets its own, merged with what its resource
/// holds, never replacing it. The other operators (cert-manager, CNAO, HPP, any of spec.manifests)
/// need none: what they register and when they are ready is read from their own manifests and status.
/// </summary>
public sealed class PlatformSettings(NodeSettings node)
{
    private static readonly IReadOnlyList<IResourceSettings> Components = [.. ReleaseCatalog.Components.OfType<IResourceSettings>()];

    private static IEnumerable<(ManifestObject Resource, IResourceSettings Settings)> Owned(IEnumerable<ManifestObject> objects) =>
        Components.SelectMany(c => objects.Where(o => c.Owns(o.ApiVersion, o.Kind)).Select(o => (o, c)));

    /// <summary>The annotation that remembers what kargo added to a resource's lists (comma-separated).</summary>
    public const string AddedAnnotation = "kargo.dev/added";

    /// <summary>The settings of the bundled resources, merged into each as it is applied.</summary>
    public IReadOnlyList<SettingsPatch> For(IEnumerable<ManifestObject> objects) =>
        [.. Owned(objects).Select(o => new SettingsPatch(o.Resource, (cluster, bundled) => Write([Document(o.Resource, o.Settings, cluster, bundled)])))];

    /// <summary>The settings as written to the node's state folder, from the bundled resources alone.</summary>
    public IEnumerable<object> Documents(IEnumerable<ManifestObject> objects) =>
        Owned(objects).Select(o => Document(o.Resource, o.Settings, null, o.Resource.Body));

    public IEnumerable<string> Summary(IEnumerable<ManifestObject> objects) => Owned(objects).Select(o => $"{o.Resource}: {o.Settings.Summary(o.Resource.Body, node)}");

    /// <summary>A settings document names its resource as the resource does, and remembers what kargo adds.</summary>
    private Dictionary<string, object> Document(ManifestObject resource, IResourceSettings settings, JsonNode? cluster, JsonNode? bundled)
    {
        var adds = settings.Adds(node);
        var before = cluster?["metadata"]?["annotations"]?[AddedAnnotation]?.ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        var spec = settings.SpecSettings(cluster, bundled, node, before.Except(adds, StringComparer.Ordinal).ToHashSet(StringComparer.Ordinal));
        var metadata = Map(("name", resource.Name), ("annotations", Map((AddedAnnotation, string.Join(",", adds)))));
        if (resource.Namespace is { } ns)
        {
            metadata["namespace"] = ns;
        }
        return Map(("apiVersion", resource.ApiVersion), ("kind", resource.Kind), ("metadata", metadata), ("spec", spec));
    }
}
