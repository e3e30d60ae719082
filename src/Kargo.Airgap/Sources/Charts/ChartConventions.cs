using Kargo.Airgap.Oci;
using Kargo.Airgap.Spec;
using YamlDotNet.RepresentationModel;

namespace Kargo.Airgap.Sources.Charts;

/// <summary>
/// The images of a chart found without rendering it (no helm on the build host): the chart's
/// artifacthub.io/images annotation, and its values (the spec's merged over the chart's) by the
/// common conventions — a map with repository (and registry, tag, digest; the tag defaulting to
/// the chart's appVersion) under a key naming an image, or with name only, placed under the
/// values' imageRegistry and imageNamespace; or a reference string under such a key.
/// A template can build a name any other way, so what this finds must be checked.
/// </summary>
public static class ChartConventions
{
    public const string ImagesAnnotation = "artifacthub.io/images";

    /// <summary>Keys that name something about images, not an image: imagePullPolicy, imagePullSecrets, global.imageRegistry.</summary>
    private static readonly string[] NotAnImage = ["PullPolicy", "PullSecrets", "Registry", "Registries"];

    public static IReadOnlyList<DiscoveredImage> Find(ChartArchive chart, string? userValues, string entry)
    {
        var chartYaml = Tree(Load(chart.ChartYaml, $"{entry}: Chart.yaml")) as Dictionary<string, object?> ?? [];
        var appVersion = chartYaml.GetValueOrDefault("appVersion") as string;
        var found = new List<DiscoveredImage>();
        if (chartYaml.GetValueOrDefault("annotations") is Dictionary<string, object?> annotations && annotations.GetValueOrDefault(ImagesAnnotation) is string listed)
        {
            foreach (var image in (Tree(Load(listed, $"{entry}: Chart.yaml {ImagesAnnotation}")) as List<object?>)?.OfType<Dictionary<string, object?>>() ?? [])
            {
                if (image.GetValueOrDefault("image") is string text && Parse(text) is { } reference)
                {
                    found.Add(new DiscoveredImage(reference, $"{entry}: Chart.yaml {ImagesAnnotation}", ImageRule.ChartAnnotation));
                }
            }
        }
        var user = Tree(Load(userValues, $"{entry}: values")) as Dictionary<string, object?> ?? [];
        var values = Merge(Tree(Load(chart.Values, $"{entry}: values.yaml")) as Dictionary<string, object?> ?? [], user);
        var defaults = Defaults(values);
        Walk(values, "", defaults, appVersion, $"{entry}: values", found);
        foreach (var (name, text) in chart.Subcharts)
        {
            var sub = Merge(Tree(Load(text, $"{entry}: charts/{name}/values.yaml")) as Dictionary<string, object?> ?? [], user.GetValueOrDefault(name) as Dictionary<string, object?> ?? []);
            Walk(sub, name + ".", defaults, null, $"{entry}: values", found);
        }
        return [.. found.DistinctBy(f => f.Reference.ToString())];
    }

    /// <summary>Where names without a registry go: imageRegistry and imageNamespace at the top of the values, else under global.</summary>
    private sealed record ImageDefaults(string? Registry, string? Namespace);

    private static ImageDefaults Defaults(Dictionary<string, object?> values)
    {
        var global = values.GetValueOrDefault("global") as Dictionary<string, object?> ?? [];
        return new(Text(values, "imageRegistry") ?? Text(global, "imageRegistry"), Text(values, "imageNamespace") ?? Text(global, "imageNamespace"));
    }

    private static void Walk(object? node, string path, ImageDefaults defaults, string? appVersion, string origin, List<DiscoveredImage> found)
    {
        switch (node)
        {
            case Dictionary<string, object?> map:
                foreach (var (key, value) in map)
                {
                    var at = path + key;
                    var namesImage = key.Contains("image", StringComparison.OrdinalIgnoreCase) && !NotAnImage.Any(suffix => key.EndsWith(suffix, StringComparison.OrdinalIgnoreCase));
                    if (value is Dictionary<string, object?> image && (Text(image, "repository") is not null && (namesImage || image.ContainsKey("tag") || image.ContainsKey("digest")) || namesImage && Text(image, "name") is not null))
                    {
                        if (Compose(image, defaults, appVersion) is { } reference)
                        {
                            found.Add(new DiscoveredImage(reference, $"{origin} {at}", ImageRule.ChartValues));
                        }
                        continue;
                    }
                    if (namesImage && value is string text && (text.Contains(':', StringComparison.Ordinal) || text.Contains('@', StringComparison.Ordinal)) && Parse(text) is { } named)
                    {
                        found.Add(new DiscoveredImage(named, $"{origin} {at}", ImageRule.ChartValues));
                        continue;
                    }
                    Walk(value, at + ".", defaults, appVersion, origin, found);
                }
                break;
            case List<object?> list:
                for (var i = 0; i < list.Count; i++)
                {
                    Walk(list[i], $"{path.TrimEnd('.')}[{i}].", defaults, appVersion, origin, found);
                }
                break;
        }
    }

    /// <summary>
    /// registry/repository:tag@digest, the registry from the map or the values' imageRegistry, the tag
    /// from the map or appVersion; without a repository, imageRegistry/imageNamespace/name (cert-manager's charts).
    /// </summary>
    private static ImageReference? Compose(Dictionary<string, object?> image, ImageDefaults defaults, string? appVersion)
    {
        var repository = Text(image, "repository");
        var registry = repository is null ? defaults.Registry : Text(image, "registry") ?? defaults.Registry;
        var tag = Text(image, "tag") ?? appVersion;
        var digest = Text(image, "digest");
        repository ??= (defaults.Namespace is { } ns ? ns.Trim('/') + "/" : "") + Text(image, "name");
        var name = (registry is null ? "" : registry.TrimEnd('/') + "/") + repository;
        var pinned = digest is null ? "" : "@" + digest;
        // A repository that carries its own tag (repository: nginx:1.27) keeps it.
        return (tag is null ? null : Parse(name + ":" + tag + pinned)) ?? Parse(name + pinned);
    }

    private static string? Text(Dictionary<string, object?> map, string key) => map.GetValueOrDefault(key) is string { Length: > 0 } text ? text : null;

    private static ImageReference? Parse(string text)
    {
        try
        {
            return ImageReference.Parse(text.Trim());
        }
        catch (KargoException)
        {
            return null; // a value that only looks like an image
        }
    }

    /// <summary>The user's values over the chart's: maps merge key by key, anything else replaces.</summary>
    private static Dictionary<string, object?> Merge(Dictionary<string, object?> defaults, Dictionary<string, object?> user)
    {
        var merged = new Dictionary<string, object?>(defaults, StringComparer.Ordinal);
        foreach (var (key, value) in user)
        {
            merged[key] = value is Dictionary<string, object?> over && merged.GetValueOrDefault(key) is Dictionary<string, object?> under ? Merge(under, over) : value;
        }
        return merged;
    }

    private static YamlNode? Load(string? text, string source)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        var stream = YamlText.Load(text, source);
        return stream.Documents.Count > 0 ? stream.Documents[0].RootNode : null;
    }

    /// <summary>Maps, lists and strings (a null scalar as null).</summary>
    private static object? Tree(YamlNode? node) => node switch
    {
        YamlMappingNode map => map.Children.Where(c => c.Key is YamlScalarNode { Value: not null }).GroupBy(c => ((YamlScalarNode)c.Key).Value!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => Tree(g.Last().Value), StringComparer.Ordinal),
        YamlSequenceNode list => list.Children.Select(Tree).ToList(),
        YamlScalarNode { Value: "~" or "null" or "" } scalar when scalar.Style == YamlDotNet.Core.ScalarStyle.Plain => null,
        YamlScalarNode scalar => scalar.Value,
        _ => null,
    };
}
