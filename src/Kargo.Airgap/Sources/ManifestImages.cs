using System.Text.RegularExpressions;
using Kargo.Airgap.Oci;
using Kargo.Airgap.Sources.Releases;
using Kargo.Airgap.Spec;
using YamlDotNet.RepresentationModel;

namespace Kargo.Airgap.Sources;

/// <summary>An image a manifest names, where (the document, the container, the variable) and by which rule.</summary>
public sealed record DiscoveredImage(ImageReference Reference, string Origin, ImageRule Rule)
{
    /// <summary>
    /// Fetched by a pod from the registry it names, not pulled by the node's container runtime, so the
    /// node's mirrors do not apply: a DataVolume registry source without <c>pullMethod: node</c>
    /// (CDI's importer pod reads the registry itself).
    /// </summary>
    public bool Direct { get; init; }
}

/// <summary>
/// Finds the images Kubernetes manifests need, by the rules their operators follow: every container
/// and init container image of every pod template; a container variable ending in <c>_IMAGE</c> that
/// holds a reference (CDI's CONTROLLER_IMAGE, CNAO's MULTUS_IMAGE); a container argument
/// <c>--NAME-image=REF</c> (cert-manager's --acme-http01-solver-image); and what virt-operator
/// derives from its own image at run time (<see cref="KubeVirtOperator"/>), with the feature gates of
/// the spec and the bundled KubeVirt CR. Nothing else about image names is assumed.
/// </summary>
public static partial class ManifestImages
{
    /// <summary>
    /// The spec's images followed by those the given manifests name and the spec does not, each with
    /// where it was found and by which rule.
    /// </summary>
    /// <param name="spec">The spec: its images, and spec.kubevirt's feature gates and optional components.</param>
    /// <param name="manifests">Each manifest's entry name, file, and the component it belongs to (if any).</param>
    public static IReadOnlyList<SpecImage> WithManifestImages(BundleSpec spec, IEnumerable<(string Entry, string Path, string? Component)> manifests)
    {
        var loaded = manifests.Select(m => (m.Entry, m.Component, Roots: Load(File.ReadAllText(m.Path), m.Entry))).ToList();
        var target = Target(spec.Component(ComponentNames.KubeVirt), loaded.SelectMany(l => l.Roots));
        var images = spec.Images.ToList();
        var seen = images.Select(i => i.Reference.ToString()).ToHashSet(StringComparer.Ordinal);
        foreach (var (entry, component, roots) in loaded)
        {
            foreach (var image in Discover(roots, entry, target))
            {
                if (seen.Add(image.Reference.ToString()))
                {
                    images.Add(new SpecImage(image.Reference, image.Reference.ToString(), 0, image.Origin, component ?? Path.GetFileNameWithoutExtension(entry)) { FoundBy = image.Rule });
                }
            }
        }
        return images;
    }

    /// <summary>The images one manifest names; KubeVirt's settings from <paramref name="target"/>, else from a KubeVirt CR in it.</summary>
    public static IReadOnlyList<DiscoveredImage> Discover(string yaml, string source, KubeVirtTarget? target = null)
    {
        var roots = Load(yaml, source);
        return Discover(roots, source, target ?? Target(null, roots));
    }

    /// <summary>
    /// The images one object names, as a cluster's API serves it (its JSON is YAML): the rules for
    /// manifests, and with <paramref name="vmSources"/> also what a KubeVirt or CDI object names for
    /// the node to pull — a volume's containerDisk.image and a DataVolume's registry source
    /// (<c>docker://REF</c>), of a DataVolume, a DataImportCron or a VirtualMachine's dataVolumeTemplates.
    /// Each origin starts with <paramref name="where"/>; an image named twice is given twice, once per origin.
    /// </summary>
    /// <param name="root">The object, with its kind (items of a list: set from the list's type).</param>
    /// <param name="where">The object as it is to be named (Deployment kubevirt/virt-operator).</param>
    /// <param name="target">KubeVirt's settings, from <see cref="TargetOf"/>.</param>
    /// <param name="vmSources">Include the KubeVirt and CDI sources (not yet part of what a build bundles).</param>
    public static IReadOnlyList<DiscoveredImage> DiscoverObject(YamlMappingNode root, string where, KubeVirtTarget target, bool vmSources = true)
    {
        var found = PodSpecs(root).SelectMany(pod => FromPod(pod, where, target)).ToList();
        if (vmSources)
        {
            found.AddRange(FromVmSources(root, where));
        }
        return found;
    }

    /// <summary>KubeVirt's settings as a cluster has them: the gates, registry and tag of its KubeVirt CRs (given with their kind and apiVersion).</summary>
    public static KubeVirtTarget TargetOf(IEnumerable<YamlMappingNode> objects) => Target(null, objects);

    private static IReadOnlyList<DiscoveredImage> Discover(IReadOnlyList<YamlMappingNode> roots, string source, KubeVirtTarget target)
    {
        var found = new List<DiscoveredImage>();
        foreach (var root in roots)
        {
            var kind = Scalar(root, "kind") ?? "object";
            var name = Scalar(Mapping(root, "metadata"), "name") ?? "?";
            found.AddRange(DiscoverObject(root, $"{source}: {kind} {name}", target, vmSources: false));
        }
        return [.. found.DistinctBy(f => f.Reference.ToString())];
    }

    private static List<YamlMappingNode> Load(string yaml, string source)
    {
        return [.. YamlText.Load(yaml, source).Documents.Select(d => d.RootNode).OfType<YamlMappingNode>()];
    }

    /// <summary>The spec's gates and optional components, and what a bundled KubeVirt CR sets (its registry, tag and gates).</summary>
    private static KubeVirtTarget Target(SpecComponent? kubevirt, IEnumerable<YamlMappingNode> roots)
    {
        var gates = new HashSet<string>(kubevirt?.FeatureGates ?? [], StringComparer.Ordinal);
        var disabled = new HashSet<string>(StringComparer.Ordinal);
        string? registry = null, tag = null;
        foreach (var cr in roots.Where(r => Scalar(r, "kind") == "KubeVirt" && Scalar(r, "apiVersion")?.StartsWith("kubevirt.io/", StringComparison.Ordinal) == true))
        {
            var spec = Mapping(cr, "spec");
            registry = NonEmpty(Scalar(spec, "imageRegistry")) ?? registry;
            tag = NonEmpty(Scalar(spec, "imageTag")) ?? tag;
            var developer = Mapping(Mapping(spec, "configuration"), "developerConfiguration");
            gates.UnionWith(Scalars(developer, "featureGates"));
            disabled.UnionWith(Scalars(developer, "disabledFeatureGates"));
        }
        return new KubeVirtTarget(registry, tag, gates, disabled, new HashSet<string>(kubevirt?.OptionalComponents ?? [], StringComparer.Ordinal), kubevirt?.Version);
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

    /// <summary>containerDisk.image of a VirtualMachine(Instance)'s volumes and of templates holding one; docker:// registry sources of DataVolume specs.</summary>
    private static IEnumerable<DiscoveredImage> FromVmSources(YamlMappingNode root, string where)
    {
        var spec = Mapping(root, "spec");
        // A VirtualMachineInstance (spec.volumes), a VirtualMachine or VMI replica set (spec.template.spec), a VirtualMachinePool.
        var vmiSpecs = new[] { spec, Mapping(Mapping(spec, "template"), "spec"), Mapping(Mapping(Mapping(Mapping(spec, "virtualMachineTemplate"), "spec"), "template"), "spec") };
        foreach (var vmi in vmiSpecs.OfType<YamlMappingNode>())
        {
            foreach (var volume in Sequence(vmi, "volumes").OfType<YamlMappingNode>())
            {
                if (Scalar(Mapping(volume, "containerDisk"), "image") is { Length: > 0 } image)
                {
                    var at = $"{where}, volume {Scalar(volume, "name") ?? "?"} containerDisk";
                    yield return new DiscoveredImage(Parse(image, at), at, ImageRule.VmContainerDisk);
                }
            }
        }
        // A DataVolume (spec), a DataImportCron (spec.template.spec), a VirtualMachine's dataVolumeTemplates (and a pool's).
        var templates = Sequence(spec, "dataVolumeTemplates").Concat(Sequence(Mapping(Mapping(spec, "virtualMachineTemplate"), "spec"), "dataVolumeTemplates"))
            .OfType<YamlMappingNode>().Select(t => (Spec: Mapping(t, "spec"), Name: Scalar(Mapping(t, "metadata"), "name")));
        var dataVolumes = new[] { (Spec: Scalar(root, "kind") == "DataVolume" ? spec : null, Name: (string?)null), (Spec: Mapping(Mapping(spec, "template"), "spec"), Name: null) }.Concat(templates);
        foreach (var (dataVolume, name) in dataVolumes)
        {
            var registry = Mapping(Mapping(dataVolume, "source"), "registry");
            if (Scalar(registry, "url") is { } url && url.StartsWith("docker://", StringComparison.Ordinal))
            {
                var at = $"{where}, {(name is null ? "" : $"dataVolumeTemplate {name}, ")}source.registry.url";
                // CDI: pullMethod node lets the node's runtime pull it; otherwise the importer pod fetches it from the registry it names.
                yield return new DiscoveredImage(Parse(url["docker://".Length..], at), at, ImageRule.DataVolumeRegistry) { Direct = Scalar(registry, "pullMethod") != "node" };
            }
        }
    }

    private static IEnumerable<DiscoveredImage> FromPod(YamlMappingNode pod, string where, KubeVirtTarget target)
    {
        foreach (var list in new[] { "initContainers", "containers", "ephemeralContainers" })
        {
            if (!pod.Children.TryGetValue(new YamlScalarNode(list), out var node) || node is not YamlSequenceNode containers)
            {
                continue;
            }
            foreach (var container in containers.OfType<YamlMappingNode>())
            {
                var at = $"{where}, container {Scalar(container, "name") ?? "?"}";
                if (Scalar(container, "image") is { } image)
                {
                    yield return new DiscoveredImage(Parse(image, at), at, ImageRule.Container);
                }
                foreach (var discovered in FromArguments(container, at).Concat(FromEnvironment(container, at, target)))
                {
                    yield return discovered;
                }
            }
        }
    }

    /// <summary>--NAME-image=REF in a container's command or args.</summary>
    private static IEnumerable<DiscoveredImage> FromArguments(YamlMappingNode container, string where)
    {
        foreach (var argument in Scalars(container, "command").Concat(Scalars(container, "args")))
        {
            if (ImageArgumentPattern().Match(argument) is { Success: true } match && LooksLikeImage(match.Groups[2].Value))
            {
                var origin = $"{where}, argument {match.Groups[1].Value}";
                yield return new DiscoveredImage(Parse(match.Groups[2].Value, origin), origin, ImageRule.Argument);
            }
        }
    }

    private static IEnumerable<DiscoveredImage> FromEnvironment(YamlMappingNode container, string where, KubeVirtTarget target)
    {
        if (!container.Children.TryGetValue(new YamlScalarNode("env"), out var node) || node is not YamlSequenceNode env)
        {
            yield break;
        }
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in env.OfType<YamlMappingNode>())
        {
            if (Scalar(item, "name") is { } name && NonEmpty(Scalar(item, "value")) is { } value)
            {
                variables.TryAdd(name, value);
            }
        }
        foreach (var (name, value) in variables)
        {
            if (name.EndsWith("_IMAGE", StringComparison.Ordinal) && LooksLikeImage(value))
            {
                var origin = $"{where}, variable {name}";
                yield return new DiscoveredImage(Parse(value, origin), origin, ImageRule.Variable);
            }
        }
        foreach (var (reference, origin, rule) in KubeVirtOperator.Images(variables, target, where))
        {
            yield return new DiscoveredImage(reference, origin, rule);
        }
    }

    private static bool LooksLikeImage(string value) => !value.Contains(' ') && (value.Contains('/') || value.Contains(':') || value.Contains('@'));

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

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

    private static IEnumerable<YamlNode> Sequence(YamlMappingNode? node, string key) =>
        node is not null && node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlSequenceNode list ? list.Children : [];

    private static string? Scalar(YamlMappingNode? node, string key) =>
        node is not null && node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? (value as YamlScalarNode)?.Value : null;

    private static IEnumerable<string> Scalars(YamlMappingNode? node, string key) =>
        node is not null && node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlSequenceNode list
            ? list.OfType<YamlScalarNode>().Select(s => s.Value).OfType<string>()
            : [];

    [GeneratedRegex("^(--?[A-Za-z0-9-]*image)=(.+)$")]
    private static partial Regex ImageArgumentPattern();
}
