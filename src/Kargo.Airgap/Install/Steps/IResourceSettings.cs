using System.Text.Json.Nodes;
using Kargo.Airgap.Install.Kubernetes;

namespace Kargo.Airgap.Install.Steps;

/// <summary>What kargo sets in one platform component's custom resource, merged into what the resource holds.</summary>
public interface IResourceSettings
{
    /// <summary>Whether this is the component's resource (by API group and kind).</summary>
    bool Owns(ManifestObject resource);

    /// <summary>kargo's fields, given the resource as the cluster holds it (null when new) and as the bundle has it.</summary>
    Dictionary<string, object> Render(ManifestObject resource, JsonNode? cluster, JsonNode? bundled);

    /// <summary>One line for the plan.</summary>
    string Summary(ManifestObject resource);
}
