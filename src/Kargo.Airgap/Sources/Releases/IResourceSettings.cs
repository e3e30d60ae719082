using System.Text.Json.Nodes;

namespace Kargo.Airgap.Sources.Releases;

/// <summary>What the node tells a component's settings.</summary>
/// <param name="Gates">spec.kubevirt.featureGates, as the bundle carries them.</param>
/// <param name="Emulation">The node has no /dev/kvm.</param>
/// <param name="InsecureRegistry">The node's registry when pods reach it over plain HTTP; null over TLS.</param>
public sealed record NodeSettings(IReadOnlyList<string> Gates, bool Emulation, string? InsecureRegistry);

/// <summary>A component whose custom resource kargo sets fields in, merged with what the resource holds, never replacing it.</summary>
public interface IResourceSettings
{
    /// <summary>Whether an object of this apiVersion and kind is the component's custom resource.</summary>
    bool Owns(string apiVersion, string kind);

    /// <summary>
    /// The values kargo adds to the resource's lists on this node (gates, a registry). Remembered on
    /// the resource, so that a later install takes back those it no longer adds — a gate dropped from
    /// the spec, a plain-HTTP registry the node no longer uses — and keeps every other value.
    /// </summary>
    IReadOnlyList<string> Adds(NodeSettings node);

    /// <summary>kargo's fields of the resource's spec, given the resource as the cluster holds it (null when new), as the bundle has it, and what kargo takes back.</summary>
    Dictionary<string, object> SpecSettings(JsonNode? cluster, JsonNode? bundled, NodeSettings node, IReadOnlySet<string> withdrawn);

    /// <summary>One line for the plan: what is set.</summary>
    string Summary(JsonNode? bundled, NodeSettings node);
}

/// <summary>Reading the lists settings merge.</summary>
internal static class ResourceLists
{
    /// <summary>The strings of a list field, in order.</summary>
    public static IEnumerable<string> Strings(JsonNode? node) => (node as JsonArray ?? []).Select(v => v?.ToString()).OfType<string>();

    /// <summary>The group of an apiVersion ("" for the core group).</summary>
    public static string Group(string apiVersion) => apiVersion.Contains('/', StringComparison.Ordinal) ? apiVersion[..apiVersion.IndexOf('/', StringComparison.Ordinal)] : "";
}
