using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Kargo.Airgap.Install.Kubernetes;

/// <summary>One object of a manifest file: what it is, and its YAML exactly as written.</summary>
public sealed record ManifestObject(string ApiVersion, string Kind, string Name, string? Namespace, string Yaml, string Source)
{
    /// <summary>For a CRD: the apiVersion and kind of the objects it defines (one per served version).</summary>
    public IReadOnlyList<(string ApiVersion, string Kind)> DefinedTypes { get; init; } = [];

    /// <summary>For a CRD: whether its objects live in a namespace (spec.scope: Namespaced).</summary>
    public bool DefinesNamespaced { get; init; }

    /// <summary>The namespace its manifest's spec.manifests entry gives, for a namespaced object that names none.</summary>
    public string? DefaultNamespace { get; init; }

    /// <summary>The object as JSON, to read its fields (RBAC rules, a CRD's subresources); applied is always <see cref="Yaml"/>.</summary>
    /// Parsed once, kept outside the record's fields so that equality and hash codes never change with it.
    public JsonObject Body => Bodies.GetValue(this, o => YamlJson.Convert(Spec.YamlText.Load(o.Yaml, o.Source).Documents.FirstOrDefault()?.RootNode) as JsonObject ?? []);

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ManifestObject, JsonObject> Bodies = [];

    /// <summary>The API group of its kind: "" for the core group.</summary>
    public string Group => GroupOf(ApiVersion);

    /// <summary>The API group of an apiVersion: "" for the core group (v1).</summary>
    public static string GroupOf(string apiVersion) => apiVersion.Contains('/', StringComparison.Ordinal) ? apiVersion[..apiVersion.IndexOf('/', StringComparison.Ordinal)] : "";

    public bool IsCrd => Kind == "CustomResourceDefinition" && ApiVersion.StartsWith("apiextensions.k8s.io/", StringComparison.Ordinal);

    /// <summary>The namespace it is applied in: its own, else its manifest's for a namespaced kind; null for a cluster-scoped one.</summary>
    public string? NamespaceWhen(bool namespaced) => namespaced ? Namespace ?? DefaultNamespace : null;

    public override string ToString() =>
        (Namespace ?? (KindScopes.IsClusterScopedBuiltIn(ApiVersion, Kind) ? null : DefaultNamespace)) is { } ns ? $"{Kind} {ns}/{Name}" : $"{Kind} {Name}";

    /// <summary>The objects of a multi-document YAML file; empty documents are skipped.</summary>
    /// <param name="path">The manifest file.</param>
    /// <param name="defaultNamespace">The namespace for its namespaced objects that name none (spec.manifests namespace:).</param>
    public static IReadOnlyList<ManifestObject> Read(string path, string? defaultNamespace = null)
    {
        var text = File.ReadAllText(path);
        var stream = Spec.YamlText.Load(text, path);
        var slices = DocumentSlices(text);
        var objects = new List<ManifestObject>();
        foreach (var (document, slice) in stream.Documents.Zip(slices))
        {
            if (document.RootNode is YamlScalarNode { Value: null or "" })
            {
                continue;
            }
            var line = document.RootNode.Start.Line;
            if (document.RootNode is not YamlMappingNode root)
            {
                throw new KargoException($"{path}:{line}: a manifest document must be a mapping with apiVersion and kind");
            }
            string? Text(YamlMappingNode node, string key) => node.Children.TryGetValue(key, out var value) && value is YamlScalarNode scalar ? scalar.Value : null;
            var metadata = root.Children.TryGetValue("metadata", out var m) ? m as YamlMappingNode : null;
            var apiVersion = Text(root, "apiVersion");
            var kind = Text(root, "kind");
            var name = metadata is null ? null : Text(metadata, "name");
            if (apiVersion is null || kind is null || name is null)
            {
                throw new KargoException($"{path}:{line}: the object has no {(apiVersion is null ? "apiVersion" : kind is null ? "kind" : "metadata.name")}");
            }
            var yaml = text[slice.Start..slice.End];
            objects.Add(new ManifestObject(apiVersion, kind, name, metadata is null ? null : Text(metadata, "namespace"), yaml, $"{Path.GetFileName(path)}:{line}")
            {
                DefinedTypes = DefinedBy(root),
                DefinesNamespaced = root.Children.TryGetValue("spec", out var crdSpec) && crdSpec is YamlMappingNode crdMap && crdMap.Children.TryGetValue("scope", out var scope) && scope.ToString() == "Namespaced",
                DefaultNamespace = defaultNamespace,
            });
        }
        return objects;
    }

    /// <summary>Where each document's content starts and ends in the text (YamlDotNet's nodes do not keep it; its parser events do).</summary>
    private static List<(int Start, int End)> DocumentSlices(string text)
    {
        var slices = new List<(int, int)>();
        var parser = new Parser(new StringReader(text));
        var start = -1;
        while (parser.MoveNext())
        {
            switch (parser.Current)
            {
                case YamlDotNet.Core.Events.DocumentStart:
                    start = -1;
                    break;
                case YamlDotNet.Core.Events.DocumentEnd end:
                    // The document ends where the next begins: a flow mapping's closing brace is not in its last event's span.
                    slices.Add(start < 0 ? (0, 0) : (start, (int)end.Start.Index));
                    break;
                case { } node when start < 0 && node is not YamlDotNet.Core.Events.StreamStart and not YamlDotNet.Core.Events.StreamEnd:
                    start = (int)node.Start.Index;
                    break;
            }
        }
        return slices;
    }

    private static List<(string, string)> DefinedBy(YamlMappingNode root)
    {
        if (root.Children.TryGetValue("spec", out var spec) && spec is YamlMappingNode crd
            && crd.Children.TryGetValue("group", out var group) && crd.Children.TryGetValue("names", out var names) && names is YamlMappingNode namesMap
            && namesMap.Children.TryGetValue("kind", out var kind) && crd.Children.TryGetValue("versions", out var versions) && versions is YamlSequenceNode list)
        {
            return [.. list.OfType<YamlMappingNode>()
                .Select(v => v.Children.TryGetValue("name", out var name) ? $"{group}/{name}" : null)
                .OfType<string>()
                .Select(v => (v, kind.ToString()))];
        }
        return [];
    }
}
