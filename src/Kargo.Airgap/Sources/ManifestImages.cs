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
/// derives from its own image at run time (<see cref="KubeVirtOperator"/>), with the feature gates and
/// switches of the spec and the bundled KubeVirt CR; and the disks KubeVirt and CDI objects pull
/// (<see cref="VmDiskImages"/>). Nothing else about image names is assumed.
/// </summary>
public static partial class ManifestImages
{
    /// <summary>
    /// The spec's images followed by those the given manifests name and the spec does not, each with
    /// where it was found and by which rule.
    /// </summary>
    /// <param name="spec">The spec: its images, and spec.kubevirt's feature gates and optional components.</param>
    /// <param name="manifests">Each manifest's entry name, file, and the component it belongs to (if any).</param>
    /// <param name="embedded">What operator binaries embed; those not read yet are left out and named in its <see cref="OperatorEmbeddedImages.Unread"/>.</param>
    /// <param name="gateStates">The KubeVirt release's own feature-gates.json (from v1.9.0), which decides which gates are GA or Beta; null: the release publishes none.</param>
    public static IReadOnlyList<SpecImage> WithManifestImages(BundleSpec spec, IEnumerable<(string Entry, string Path, string? Component)> manifests, OperatorEmbeddedImages? embedded = null, KubeVirtFeatureGates? gateStates = null)
    {
        var loaded = manifests.Select(m => (m.Entry, m.Component, Roots: Load(File.ReadAllText(m.Path), m.Entry))).ToList();
        var target = Target(spec.Component(ComponentNames.KubeVirt), loaded.SelectMany(l => l.Roots)) with { GateStates = gateStates };
        var images = spec.Images.ToList();
        // A VM's containerDisk that the spec's vmImages wrap here is built, not fetched.
        var seen = images.Select(i => i.Reference.ToString()).Concat(spec.VmImages.Select(v => v.Image.ToString())).ToHashSet(StringComparer.Ordinal);
        foreach (var (entry, component, roots) in loaded)
        {
            foreach (var image in Discover(roots, entry, target, embedded ?? new OperatorEmbeddedImages()))
            {
                if (seen.Add(image.Reference.ToString()))
                {
                    images.Add(new SpecImage(image.Reference, image.Reference.ToString(), 0, image.Origin, component ?? Path.GetFileNameWithoutExtension(entry)) { FoundBy = image.Rule });
                }
            }
        }
        return images;
    }

    /// <summary>
    /// The images one manifest names; KubeVirt's settings from <paramref name="target"/>, else from a
    /// KubeVirt CR in it; images an operator embeds from <paramref name="embedded"/> (left out when not read).
    /// </summary>
    public static IReadOnlyList<DiscoveredImage> Discover(string yaml, string source, KubeVirtTarget? target = null, OperatorEmbeddedImages? embedded = null)
    {
        var roots = Load(yaml, source);
        return Discover(roots, source, target ?? Target(null, roots), embedded ?? new OperatorEmbeddedImages());
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
    /// <param name="embedded">What virt-operator binaries embed, as read so far (none: images it embeds are left out).</param>
    /// <param name="vmSources">Include the KubeVirt and CDI disk sources.</param>
    public static IReadOnlyList<DiscoveredImage> DiscoverObject(YamlMappingNode root, string where, KubeVirtTarget target, OperatorEmbeddedImages? embedded = null, bool vmSources = true)
    {
        var found = PodSpecs(root).SelectMany(pod => FromPod(pod, where, target, embedded ?? new OperatorEmbeddedImages())).ToList();
        if (vmSources)
        {
            found.AddRange(VmDiskImages.Find(root, where));
        }
        return found;
    }

    /// <summary>KubeVirt's settings as a cluster has them: the gates, registry and tag of its KubeVirt CRs (given with their kind and apiVersion).</summary>
    public static KubeVirtTarget TargetOf(IEnumerable<YamlMappingNode> objects) => Target(null, objects);

    private static IReadOnlyList<DiscoveredImage> Discover(IReadOnlyList<YamlMappingNode> roots, string source, KubeVirtTarget target, OperatorEmbeddedImages embedded)
    {
        var found = new List<DiscoveredImage>();
        foreach (var root in roots)
        {
            var kind = Scalar(root, "kind") ?? "object";
            var name = Scalar(Mapping(root, "metadata"), "name") ?? "?";
            foreach (var pod in PodSpecs(root))
            {
                found.AddRange(FromPod(pod, $"{source}: {kind} {name}", target, embedded));
            }
            found.AddRange(VmDiskImages.Find(root, $"{source}: {kind} {name}"));
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
        var switches = new Dictionary<string, bool>(StringComparer.Ordinal);
        string? registry = null, tag = null;
        foreach (var cr in roots.Where(r => Scalar(r, "kind") == "KubeVirt" && Scalar(r, "apiVersion")?.StartsWith("kubevirt.io/", StringComparison.Ordinal) == true))
        {
            var spec = Mapping(cr, "spec");
            registry = NonEmpty(Scalar(spec, "imageRegistry")) ?? registry;
            tag = NonEmpty(Scalar(spec, "imageTag")) ?? tag;
            var developer = Mapping(Mapping(spec, "configuration"), "developerConfiguration");
            gates.UnionWith(Scalars(developer, "featureGates"));
            disabled.UnionWith(Scalars(developer, "disabledFeatureGates"));
            foreach (var name in new[] { KubeVirtComponents.VirtTemplateDeployment, KubeVirtComponents.PersistentReservationConfiguration })
            {
                if (bool.TryParse(Scalar(Mapping(Mapping(spec, "configuration"), name), "enabled"), out var enabled))
                {
                    switches[name] = enabled;
                }
            }
        }
        return new KubeVirtTarget(registry, tag, gates, disabled, new HashSet<string>(kubevirt?.OptionalComponents ?? [], StringComparer.Ordinal), kubevirt?.Version, switches);
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

    private static IEnumerable<DiscoveredImage> FromPod(YamlMappingNode pod, string where, KubeVirtTarget target, OperatorEmbeddedImages embedded)
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
                foreach (var discovered in FromArguments(container, at).Concat(FromEnvironment(container, at, target, embedded)))
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

    private static IEnumerable<DiscoveredImage> FromEnvironment(YamlMappingNode container, string where, KubeVirtTarget target, OperatorEmbeddedImages embedded)
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
        foreach (var (reference, origin, rule) in KubeVirtOperator.Images(variables, target, where, embedded))
        {
            yield return new DiscoveredImage(reference, origin, rule);
        }
    }

    private static bool LooksLikeImage(string value) => !value.Contains(' ') && (value.Contains('/') || value.Contains(':') || value.Contains('@'));

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    internal static ImageReference Parse(string text, string where)
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

    internal static YamlMappingNode? Mapping(YamlMappingNode? node, string key) =>
        node is not null && node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value as YamlMappingNode : null;

    internal static string? Scalar(YamlMappingNode? node, string key) =>
        node is not null && node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? (value as YamlScalarNode)?.Value : null;

    private static IEnumerable<string> Scalars(YamlMappingNode? node, string key) =>
        node is not null && node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlSequenceNode list
            ? list.OfType<YamlScalarNode>().Select(s => s.Value).OfType<string>()
            : [];

    [GeneratedRegex("^(--?[A-Za-z0-9-]*image)=(.+)\\z")]
    private static partial Regex ImageArgumentPattern();
}
