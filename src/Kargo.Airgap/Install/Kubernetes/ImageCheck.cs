using System.Text.Json.Nodes;
using Kargo.Airgap.Oci;
using Kargo.Airgap.Registry;
using Kargo.Airgap.Sources;
using Kargo.Airgap.Spec;
using YamlDotNet.RepresentationModel;

namespace Kargo.Airgap.Install.Kubernetes;

/// <summary>Where the node would get an image from.</summary>
public enum ImageState
{
    /// <summary>A mirror of its registry has it: pulled from the node's registry.</summary>
    Served,

    /// <summary>No mirror has it, but a pod on the node already runs it (k3s's airgap images, imported into containerd): not pulled again.</summary>
    OnNode,

    /// <summary>Its registry's mirrors answer 404: the runtime would go on to the registry itself, outside.</summary>
    Missing,

    /// <summary>Its registry has no mirror: pulled from the registry itself, outside.</summary>
    NoMirror,

    /// <summary>No mirror could be asked (down, refused, an error): the runtime would go on to the registry itself.</summary>
    Unreachable,

    /// <summary>Fetched by a pod from the registry it names (a DataVolume without pullMethod: node), past the node's mirrors.</summary>
    Direct,
}

/// <summary>One image the cluster names, where the node would get it, and which objects name it.</summary>
/// <param name="Reference">The image, normalised (docker.io/library/busybox:1).</param>
/// <param name="State">Where it would come from.</param>
/// <param name="Detail">Which mirror serves it, or why it would be pulled from outside.</param>
/// <param name="NamedBy">Each object (and container, variable, volume) that names it.</param>
public sealed record CheckedImage(string Reference, ImageState State, string Detail, IReadOnlyList<string> NamedBy)
{
    public bool Ok => State is ImageState.Served or ImageState.OnNode;
}

/// <summary>What <see cref="ImageCheck"/> found.</summary>
/// <param name="Mirrors">Where the mirrors were read from.</param>
/// <param name="Objects">How many objects were read.</param>
/// <param name="Images">Every image named, sorted by reference.</param>
/// <param name="Problems">Objects whose images cannot be told (a reference that is not one): the check fails on them too.</param>
/// <param name="Notes">Kinds that could not be listed (an aggregated API without list): said, not failed.</param>
public sealed record ImageCheckReport(string Mirrors, int Objects, IReadOnlyList<CheckedImage> Images, IReadOnlyList<string> Problems, IReadOnlyList<string> Notes)
{
    /// <summary>Nothing would be pulled from outside.</summary>
    public bool Ok => Problems.Count == 0 && Images.All(i => i.Ok);

    public IEnumerable<CheckedImage> Failures => Images.Where(i => !i.Ok);

    /// <summary>
    /// The report as lines: one per image (OK, ON-NODE or OUTSIDE, its detail and the first objects
    /// naming it), the problems and notes, and a closing line. Names come from the cluster: a caller
    /// printing them to a terminal passes each through <see cref="Terminal.Printable"/>.
    /// </summary>
    public IEnumerable<string> Lines(bool failuresOnly = false)
    {
        foreach (var image in Images.Where(i => !failuresOnly || !i.Ok))
        {
            var label = image.State switch { ImageState.Served => "OK      ", ImageState.OnNode => "ON-NODE ", _ => "OUTSIDE " };
            yield return $"{label}{image.Reference}: {image.Detail}; named by {NamedBy(image)}";
        }
        foreach (var problem in Problems)
        {
            yield return $"UNKNOWN {problem}";
        }
        foreach (var note in Notes)
        {
            yield return $"note    {note}";
        }
        yield return Summary;
    }

    /// <summary>One line: how many images, how many would be pulled from outside.</summary>
    public string Summary
    {
        get
        {
            var failed = Failures.Count();
            return Ok
                ? $"check: OK: all {Images.Count} image(s) that {Objects} object(s) name are served by the node's registry through {Mirrors}"
                : $"check: FAILED: {failed} of {Images.Count} image(s) would be pulled from outside{(Problems.Count > 0 ? $", {Problems.Count} object(s) whose images cannot be told" : "")} (mirrors: {Mirrors})";
        }
    }

    private static string NamedBy(CheckedImage image) =>
        string.Join("; ", image.NamedBy.Take(3)) + (image.NamedBy.Count > 3 ? $"; and {image.NamedBy.Count - 3} more" : "");
}

/// <summary>
/// After install, nothing pulls from outside: lists every Pod, Deployment, DaemonSet, StatefulSet,
/// ReplicaSet, Job and CronJob, and every object of every custom kind the cluster serves; finds the
/// images each names by <see cref="ManifestImages"/>' rules (containers, init and ephemeral
/// containers, _IMAGE variables and --*-image arguments of operators, what virt-operator derives,
/// containerDisk volumes, DataVolume registry sources); and asks, for each, the mirrors the node's
/// runtime pulls that image's registry through (a manifest HEAD by tag or digest, with containerd's
/// <c>?ns=</c>). An image with no mirror, or that no mirror has, would be pulled from outside.
/// </summary>
public static class ImageCheck
{
    /// <summary>The built-in kinds whose pod templates name images, by API group.</summary>
    private static readonly (string Group, string Kind)[] Workloads =
    [
        ("", "Pod"), ("apps", "Deployment"), ("apps", "DaemonSet"), ("apps", "StatefulSet"), ("apps", "ReplicaSet"), ("batch", "Job"), ("batch", "CronJob"),
    ];

    /// <summary>Groups of Kubernetes itself (besides *.k8s.io): their kinds are no operator's.</summary>
    private static readonly HashSet<string> BuiltInGroups = ["", "apps", "batch", "autoscaling", "policy", "extensions"];

    public static async Task<ImageCheckReport> RunAsync(KubeApi api, NodeMirrors mirrors, CancellationToken cancellationToken)
    {
        var types = await ResourceTypes.DiscoverAsync(api, cancellationToken);
        var notes = new List<string>();
        var objects = new List<(YamlMappingNode Object, string Where)>();
        foreach (var type in KindsToList(types))
        {
            var path = $"{(type.ApiVersion.Contains('/', StringComparison.Ordinal) ? $"/apis/{type.ApiVersion}" : "/api/v1")}/{type.Plural}";
            JsonNode? list;
            try
            {
                list = await api.GetAsync(path, cancellationToken);
            }
            catch (KubeApiException e) when (!IsWorkload(type))
            {
                notes.Add($"{type.Kind} ({type.ApiVersion}) not listed: {e.Message}");
                continue;
            }
            foreach (var item in Items(list, type, path))
            {
                objects.Add((item, Describe(item, type)));
            }
        }
        var target = ManifestImages.TargetOf(objects.Select(o => o.Object));
        var problems = new List<string>();
        var named = new Dictionary<(string Reference, bool Direct), (ImageReference Image, List<string> By)>();
        foreach (var (item, where) in objects)
        {
            IReadOnlyList<DiscoveredImage> found;
            try
            {
                found = ManifestImages.DiscoverObject(item, where, target);
            }
            catch (KargoException e)
            {
                problems.Add($"the images of {where} cannot be told: {e.Message}");
                continue;
            }
            foreach (var image in found)
            {
                var key = (image.Reference.ToString(), image.Direct);
                if (!named.TryGetValue(key, out var entry))
                {
                    named[key] = entry = (image.Reference, []);
                }
                entry.By.Add(image.Origin);
            }
        }
        var onNode = PulledOnNode(objects.Where(o => Kind(o.Object) == "Pod").Select(o => o.Object));
        using var client = new RegistryClient(mirrors.ClientOptions());
        var images = new List<CheckedImage>();
        foreach (var ((reference, direct), (image, by)) in named.OrderBy(n => n.Key.Reference, StringComparer.Ordinal).ThenBy(n => n.Key.Direct))
        {
            var (state, detail) = await ResolveAsync(client, mirrors, image, direct, onNode.Contains(reference), cancellationToken);
            images.Add(new CheckedImage(reference, state, detail, [.. by.Distinct(StringComparer.Ordinal)]));
        }
        return new ImageCheckReport(mirrors.Source, objects.Count, images, problems, notes);
    }

    /// <summary>The workload kinds (one version each) and every custom kind the cluster serves (one version per group and kind).</summary>
    private static IEnumerable<ResourceType> KindsToList(ResourceTypes types)
    {
        var seen = new HashSet<(string Group, string Kind)>();
        foreach (var type in types.All)
        {
            var group = ManifestObject.GroupOf(type.ApiVersion);
            var builtIn = BuiltInGroups.Contains(group) || group == "k8s.io" || group.EndsWith(".k8s.io", StringComparison.Ordinal);
            if ((!builtIn || Workloads.Contains((group, type.Kind))) && seen.Add((group, type.Kind)))
            {
                yield return type;
            }
        }
    }

    private static bool IsWorkload(ResourceType type) => Workloads.Contains((ManifestObject.GroupOf(type.ApiVersion), type.Kind));


    /// <summary>The items of a list as YAML (the API's JSON is YAML), each given its kind and apiVersion, which a list's items may leave out.</summary>
    private static IEnumerable<YamlMappingNode> Items(JsonNode? list, ResourceType type, string path)
    {
        if (list is null)
        {
            yield break;
        }
        var root = YamlText.Load(list.ToJsonString(), path).Documents.FirstOrDefault()?.RootNode as YamlMappingNode;
        if (root is null || !root.Children.TryGetValue(new YamlScalarNode("items"), out var items) || items is not YamlSequenceNode sequence)
        {
            yield break;
        }
        foreach (var item in sequence.Children.OfType<YamlMappingNode>())
        {
            item.Children[new YamlScalarNode("kind")] = new YamlScalarNode(type.Kind);
            item.Children[new YamlScalarNode("apiVersion")] = new YamlScalarNode(type.ApiVersion);
            yield return item;
        }
    }

    private static string Kind(YamlMappingNode item) => (item.Children[new YamlScalarNode("kind")] as YamlScalarNode)?.Value ?? "";

    /// <summary>Kind namespace/name, as kubectl names an object.</summary>
    private static string Describe(YamlMappingNode item, ResourceType type)
    {
        var metadata = item.Children.TryGetValue(new YamlScalarNode("metadata"), out var m) ? m as YamlMappingNode : null;
        string? Field(string key) => metadata is not null && metadata.Children.TryGetValue(new YamlScalarNode(key), out var v) ? (v as YamlScalarNode)?.Value : null;
        var name = Field("name") ?? "?";
        return Field("namespace") is { Length: > 0 } ns ? $"{type.Kind} {ns}/{name}" : $"{type.Kind} {name}";
    }

    /// <summary>Images pods report as pulled (an imageID in their container statuses): the node holds them.</summary>
    private static HashSet<string> PulledOnNode(IEnumerable<YamlMappingNode> pods)
    {
        var held = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pod in pods)
        {
            var status = pod.Children.TryGetValue(new YamlScalarNode("status"), out var s) ? s as YamlMappingNode : null;
            foreach (var list in new[] { "initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses" })
            {
                if (status is null || !status.Children.TryGetValue(new YamlScalarNode(list), out var node) || node is not YamlSequenceNode statuses)
                {
                    continue;
                }
                foreach (var container in statuses.OfType<YamlMappingNode>())
                {
                    string? Field(string key) => container.Children.TryGetValue(new YamlScalarNode(key), out var v) ? (v as YamlScalarNode)?.Value : null;
                    if (Field("imageID") is { Length: > 0 } && Field("image") is { } image && TryParse(image) is { } reference)
                    {
                        held.Add(reference.ToString());
                    }
                }
            }
        }
        return held;
    }

    private static ImageReference? TryParse(string text)
    {
        try
        {
            return ImageReference.Parse(text);
        }
        catch (KargoException)
        {
            return null;
        }
    }

    private static async Task<(ImageState, string)> ResolveAsync(RegistryClient client, NodeMirrors mirrors, ImageReference image, bool direct, bool heldOnNode, CancellationToken cancellationToken)
    {
        // An image named by the node registry's own address is pulled from it, mirror or not; a pod fetching by itself (direct) has only that.
        var local = mirrors.Named(image.Registry);
        IReadOnlyList<NodeMirror> candidates = !direct && mirrors.For(image.Registry) is { Count: > 0 } found ? found
            : local is not null ? [local] : [];
        if (candidates.Count == 0)
        {
            return direct
                ? (ImageState.Direct, $"fetched by CDI's importer pod from {image.Registry} itself (the DataVolume's source.registry has no pullMethod: node, so the node's mirrors do not apply)")
                : heldOnNode ? (ImageState.OnNode, $"{image.Registry} has no mirror; a pod on the node runs it already, so it is not pulled again")
                : (ImageState.NoMirror, $"{image.Registry} has no mirror in {mirrors.Source}: pulled from {image.Registry}");
        }
        var errors = new List<string>();
        var absent = new List<string>();
        foreach (var mirror in candidates)
        {
            var asked = ImageReference.Parse($"{mirror.Endpoint.Authority}/{image.Repository}{(image.Digest is { } digest ? $"@{digest}" : $":{image.Tag}")}");
            try
            {
                if (await client.HasManifestAsync(asked, mirror.Endpoint.Authority.Equals(image.Registry, StringComparison.OrdinalIgnoreCase) ? null : image.Registry, cancellationToken))
                {
                    return (ImageState.Served, $"served by {mirror.Endpoint.GetLeftPart(UriPartial.Authority)}");
                }
                absent.Add(mirror.Endpoint.GetLeftPart(UriPartial.Authority));
            }
            catch (KargoException e)
            {
                errors.Add($"{mirror.Endpoint.GetLeftPart(UriPartial.Authority)}: {e.Message}");
            }
        }
        var upstream = direct || local is not null ? "from nowhere: the pull fails" : $"from {image.Registry}, outside";
        if (heldOnNode)
        {
            return (ImageState.OnNode, $"not in {string.Join(", ", absent.Concat(errors))}; a pod on the node runs it already, so it is not pulled again");
        }
        return absent.Count > 0
            ? (ImageState.Missing, $"not in {string.Join(", ", absent)} (manifest {image.ManifestReference} answers 404){(errors.Count > 0 ? $"; {string.Join("; ", errors)}" : "")}: it would be pulled {upstream}")
            : (ImageState.Unreachable, $"no mirror could be asked ({string.Join("; ", errors)}): it would be pulled {upstream}");
    }
}
