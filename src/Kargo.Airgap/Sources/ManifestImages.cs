using System.Text.RegularExpressions;
using Kargo.Airgap.Oci;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Kargo.Airgap.Sources;

/// <summary>An image a manifest names, and where: the document, the container, the variable.</summary>
public sealed record DiscoveredImage(ImageReference Reference, string Origin);

/// <summary>
/// Finds the images Kubernetes manifests need: every container and init container image of every
/// pod template, and the images operators start later, which they name in their containers'
/// environment. Two conventions cover KubeVirt and CDI releases: a variable ending in <c>_IMAGE</c>
/// holds a full reference (CDI's CONTROLLER_IMAGE, IMPORTER_IMAGE…; KubeVirt's OPERATOR_IMAGE), and
/// KubeVirt's <c>VIRT_&lt;NAME&gt;_SHASUM</c> holds the digest of <c>virt-&lt;name&gt;</c> in the
/// operator image's repository (VIRT_API_SHASUM is quay.io/kubevirt/virt-api@sha256:…). Other
/// <c>*_SHASUM</c> variables name <c>&lt;name&gt;</c> there (GS_SHASUM: libguestfs-tools, by KubeVirt's
/// naming; PR_HELPER_SHASUM: pr-helper). Nothing else about image names is assumed.
/// </summary>
public static partial class ManifestImages
{
    private static readonly Dictionary<string, string> ShasumNames = new(StringComparer.Ordinal)
    {
        ["GS"] = "libguestfs-tools",
    };

    /// <summary>
    /// The spec's images followed by those the given manifests name and the spec does not,
    /// each with where it was found.
    /// </summary>
    /// <param name="specImages">spec.images.</param>
    /// <param name="manifests">Each manifest's entry name, file, and the component it belongs to (if any).</param>
    public static IReadOnlyList<Spec.SpecImage> WithManifestImages(IReadOnlyList<Spec.SpecImage> specImages, IEnumerable<(string Entry, string Path, string? Component)> manifests)
    {
        var images = specImages.ToList();
        var seen = images.Select(i => i.Reference.ToString()).ToHashSet(StringComparer.Ordinal);
        foreach (var (entry, path, component) in manifests)
        {
            foreach (var image in Discover(File.ReadAllText(path), entry))
            {
                if (seen.Add(image.Reference.ToString()))
                {
                    images.Add(new Spec.SpecImage(image.Reference, image.Reference.ToString(), 0, image.Origin, component ?? Path.GetFileNameWithoutExtension(entry)));
                }
            }
        }
        return images;
    }

    public static IReadOnlyList<DiscoveredImage> Discover(string yaml, string source)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new KargoException($"{source}:{e.Start.Line}: not valid YAML: {e.InnerException?.Message ?? e.Message}", e);
        }
        var found = new List<DiscoveredImage>();
        foreach (var document in stream.Documents)
        {
            if (document.RootNode is YamlMappingNode root)
            {
                var kind = Scalar(root, "kind") ?? "object";
                var name = Scalar(Mapping(root, "metadata"), "name") ?? "?";
                foreach (var pod in PodSpecs(root))
                {
                    found.AddRange(FromPod(pod, $"{source}: {kind} {name}"));
                }
            }
        }
        return [.. found.DistinctBy(f => f.Reference.ToString())];
    }

    /// <summary>Pod specs of a Pod, of anything with spec.template (Deployment, DaemonSet, Job…), and of a CronJob.</summary>
    private static IEnumerable<YamlMappingNode> PodSpecs(YamlMappingNode root)
    {
        var spec = Mapping(root, "spec");
        if (Scalar(root, "kind") == "Pod" && spec is not null)
        {
            yield return spec;
        }
        if (Mapping(Mapping(spec, "template"), "spec") is { } template)
        {
            yield return template;
        }
        if (Mapping(Mapping(Mapping(Mapping(spec, "jobTemplate"), "spec"), "template"), "spec") is { } job)
        {
            yield return job;
        }
    }

    private static IEnumerable<DiscoveredImage> FromPod(YamlMappingNode pod, string where)
    {
        foreach (var list in new[] { "initContainers", "containers" })
        {
            if (!pod.Children.TryGetValue(new YamlScalarNode(list), out var node) || node is not YamlSequenceNode containers)
            {
                continue;
            }
            foreach (var container in containers.OfType<YamlMappingNode>())
            {
                var containerName = Scalar(container, "name") ?? "?";
                ImageReference? own = null;
                if (Scalar(container, "image") is { } image)
                {
                    own = Parse(image, $"{where}, container {containerName}");
                    yield return new DiscoveredImage(own, $"{where}, container {containerName}");
                }
                foreach (var discovered in FromEnvironment(container, own, $"{where}, container {containerName}"))
                {
                    yield return discovered;
                }
            }
        }
    }

    private static IEnumerable<DiscoveredImage> FromEnvironment(YamlMappingNode container, ImageReference? own, string where)
    {
        if (!container.Children.TryGetValue(new YamlScalarNode("env"), out var node) || node is not YamlSequenceNode env)
        {
            yield break;
        }
        var variables = env.OfType<YamlMappingNode>()
            .Select(e => (Name: Scalar(e, "name"), Value: Scalar(e, "value")))
            .Where(e => e.Name is not null && !string.IsNullOrEmpty(e.Value))
            .ToList();
        // The images a KubeVirt operator starts live beside its own image (OPERATOR_IMAGE, else the container's).
        var operatorImage = variables.FirstOrDefault(v => v.Name == "OPERATOR_IMAGE").Value is { } op ? Parse(op, where) : own;
        foreach (var (name, value) in variables)
        {
            if (name!.EndsWith("_IMAGE", StringComparison.Ordinal) && LooksLikeImage(value!))
            {
                yield return new DiscoveredImage(Parse(value!, $"{where}, {name}"), $"{where}, variable {name}");
            }
            else if (ShasumPattern().Match(name) is { Success: true } match && Digest.TryParse(value, out var digest))
            {
                if (operatorImage is null)
                {
                    throw new KargoException($"{where}: {name} gives a digest, but no OPERATOR_IMAGE or container image tells which registry it belongs to");
                }
                var component = match.Groups[1].Value;
                var image = ShasumNames.GetValueOrDefault(component)
                    ?? (component.StartsWith("VIRT_", StringComparison.Ordinal) ? "virt-" + Kebab(component[5..]) : Kebab(component));
                var repository = operatorImage.Repository[..(operatorImage.Repository.LastIndexOf('/') + 1)] + image;
                yield return new DiscoveredImage(ImageReference.Parse($"{operatorImage.Registry}/{repository}@{digest}"), $"{where}, variable {name}");
            }
        }
    }

    private static string Kebab(string name) => name.ToLowerInvariant().Replace('_', '-');

    private static bool LooksLikeImage(string value) => !value.Contains(' ') && (value.Contains('/') || value.Contains(':') || value.Contains('@'));

    private static ImageReference Parse(string text, string where)
    {
        try
        {
            return ImageReference.Parse(text);
        }
        catch (KargoException e)
        {
            throw new KargoException($"{where}: {e.Message}", e);
        }
    }

    private static YamlMappingNode? Mapping(YamlMappingNode? node, string key) =>
        node is not null && node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value as YamlMappingNode : null;

    private static string? Scalar(YamlMappingNode? node, string key) =>
        node is not null && node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? (value as YamlScalarNode)?.Value : null;

    [GeneratedRegex("^([A-Z0-9_]+)_SHASUM$")]
    private static partial Regex ShasumPattern();
}
