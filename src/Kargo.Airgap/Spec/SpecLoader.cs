using Kargo.Airgap.Oci;
using YamlDotNet.RepresentationModel;

namespace Kargo.Airgap.Spec;

/// <summary>
/// Reads a bundle spec through YamlDotNet's node model, so that every error names the
/// file, the line and the column, and unknown fields (typos) are errors, not silence.
/// </summary>
public static partial class SpecLoader
{
    public static BundleSpec Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new KargoException($"spec file '{path}' does not exist");
        }
        return Parse(File.ReadAllText(path), path);
    }

    public static BundleSpec Parse(string yaml, string file)
    {
        var stream = YamlText.Load(yaml, file);
        if (stream.Documents.Count != 1)
        {
            throw new SpecException(file, 1, 1, $"expected one YAML document, found {stream.Documents.Count}");
        }
        var reader = new NodeReader(file);
        var root = reader.Mapping(stream.Documents[0].RootNode, "the document", "apiVersion", "kind", "metadata", "spec");
        if (reader.OptionalScalar(root, "kind") is { } kind && kind.Value != "Bundle")
        {
            throw reader.Error(kind.Node, $"kind is '{kind.Value}'; a bundle spec has kind: Bundle");
        }

        var metadata = reader.Mapping(reader.Required(root, "metadata"), "metadata", "name", "version", "description");
        var name = reader.RequiredScalar(metadata, "metadata", "name");
        if (!Names.BundleName().IsMatch(name.Value))
        {
            throw reader.Error(name.Node, $"metadata.name '{name.Value}' must be lowercase letters, digits and '-', starting with a letter (it names the bundle file)");
        }
        var version = reader.RequiredScalar(metadata, "metadata", "version");
        if (!Names.BundleVersion().IsMatch(version.Value))
        {
            throw reader.Error(version.Node, $"metadata.version '{version.Value}' may hold letters, digits, '.', '_', '+' and '-' only (it names the bundle file)");
        }

        var spec = reader.Mapping(reader.Required(root, "spec"), "spec", "platforms", "images", "manifests", "charts", "files", "vmImages", "cluster", "kubevirt", "cdi");
        return new BundleSpec
        {
            File = file,
            Name = name.Value,
            Version = version.Value,
            Platforms = ReadPlatforms(reader, spec),
            Images = ReadImages(reader, spec),
            Manifests = ReadFiles(reader, spec, "manifests", file),
            Files = ReadFiles(reader, spec, "files", file),
            Charts = SpecCharts.Read(reader, spec, file),
            VmImages = ReadVmImages(reader, spec),
            Components = ReadComponents(reader, spec),
        };
    }

    private static List<Platform> ReadPlatforms(NodeReader reader, YamlMappingNode spec)
    {
        var node = reader.Optional(spec, "platforms");
        if (node is null)
        {
            return [Platform.LinuxAmd64];
        }
        var platforms = new List<Platform>();
        foreach (var item in reader.Sequence(node, "spec.platforms"))
        {
            var text = reader.Scalar(item, "a platform");
            Platform platform;
            try
            {
                platform = Platform.Parse(text);
            }
            catch (KargoException e)
            {
                throw reader.Error(item, e.Message);
            }
            if (platforms.Contains(platform))
            {
                throw reader.Error(item, $"platform {platform} is listed twice");
            }
            platforms.Add(platform);
        }
        if (platforms.Count == 0)
        {
            throw reader.Error(node, "spec.platforms is empty; name at least one, such as linux/amd64");
        }
        return platforms;
    }

    private static List<SpecImage> ReadImages(NodeReader reader, YamlMappingNode spec)
    {
        var node = reader.Optional(spec, "images");
        if (node is null)
        {
            return [];
        }
        var images = new List<SpecImage>();
        var seen = new Dictionary<string, SpecImage>();
        foreach (var item in reader.Sequence(node, "spec.images"))
        {
            string text;
            var fromEngine = false;
            if (item is YamlMappingNode entry)
            {
                reader.Mapping(entry, "an entry of spec.images", "image", "source");
                text = reader.RequiredScalar(entry, "spec.images[]", "image").Value;
                if (reader.OptionalScalar(entry, "source") is { } source)
                {
                    fromEngine = source.Value switch
                    {
                        "docker" => true,
                        "registry" => false,
                        _ => throw reader.Error(source.Node, $"source '{source.Value}' is not one of registry, docker (an image of the local Docker or Podman engine)"),
                    };
                }
            }
            else
            {
                text = reader.Scalar(item, "an image reference");
            }
            ImageReference reference;
            try
            {
                reference = ImageReference.Parse(text);
            }
            catch (KargoException e)
            {
                throw reader.Error(item, e.Message);
            }
            var image = new SpecImage(reference, text, (int)item.Start.Line) { FromEngine = fromEngine };
            if (seen.TryGetValue(reference.ToString(), out var earlier))
            {
                throw reader.Error(item, $"image '{text}' is {reference}, already listed at line {earlier.Line}; remove one");
            }
            seen[reference.ToString()] = image;
            images.Add(image);
        }
        return images;
    }

    /// <summary>
    /// spec.files and spec.manifests: each a URL or path, or a mapping with url (or path), and
    /// optional sha256 and name. Names must be unique and safe as bundle entry names.
    /// </summary>
    private static List<SpecFile> ReadFiles(NodeReader reader, YamlMappingNode spec, string field, string specFile)
    {
        var node = reader.Optional(spec, field);
        if (node is null)
        {
            return [];
        }
        var files = new List<SpecFile>();
        foreach (var item in reader.Sequence(node, $"spec.{field}"))
        {
            string source;
            string? sha256 = null;
            string? name = null;
            string? manifestNamespace = null;
            if (item is YamlMappingNode mapping)
            {
                if (field == "manifests")
                {
                    reader.Mapping(mapping, $"an entry of spec.{field}", "url", "path", "sha256", "name", "namespace");
                    if (reader.OptionalScalar(mapping, "namespace") is { } ns)
                    {
                        if (!Names.Namespace().IsMatch(ns.Value))
                        {
                            throw reader.Error(ns.Node, $"namespace '{ns.Value}' is not a Kubernetes namespace name (lowercase letters, digits and '-', at most 63, starting and ending with a letter or digit)");
                        }
                        manifestNamespace = ns.Value;
                    }
                }
                else
                {
                    reader.Mapping(mapping, $"an entry of spec.{field}", "url", "path", "sha256", "name");
                }
                var url = reader.OptionalScalar(mapping, "url");
                var path = reader.OptionalScalar(mapping, "path");
                if ((url is null) == (path is null))
                {
                    throw reader.Error(item, $"an entry of spec.{field} needs exactly one of url or path");
                }
                source = (url ?? path)!.Value.Value;
                sha256 = reader.OptionalScalar(mapping, "sha256")?.Value;
                name = reader.OptionalScalar(mapping, "name")?.Value;
            }
            else
            {
                source = reader.Scalar(item, $"a URL or path in spec.{field}");
            }
            var file = new SpecFile(source, name ?? FileName(source), sha256?.ToLowerInvariant(), (int)item.Start.Line) { Namespace = manifestNamespace };
            if (field == "files" && !file.IsUrl)
            {
                throw reader.Error(item, $"'{source}' is not an http(s) URL; spec.files are downloaded (local files go in spec.manifests)");
            }
            if (!file.IsUrl && !Uri.TryCreate(source, UriKind.Relative, out _) && !Path.IsPathRooted(source))
            {
                throw reader.Error(item, $"'{source}' is neither an http(s) URL nor a path");
            }
            if (file.Sha256 is { } hash && !Names.Sha256().IsMatch(hash))
            {
                throw reader.Error(item, $"sha256 '{hash}' is not 64 hex digits");
            }
            if (!Names.FileName().IsMatch(file.Name))
            {
                throw reader.Error(item, $"'{file.Name}' cannot name a bundle entry (letters, digits, . _ - + only); give a name:");
            }
            if (files.FirstOrDefault(f => f.Name.Equals(file.Name, StringComparison.OrdinalIgnoreCase)) is { } earlier)
            {
                throw reader.Error(item, $"spec.{field} has '{earlier.Name}' already at line {earlier.Line}, and '{file.Name}' would collide with it; give one of them another name:");
            }
            files.Add(file);
        }
        return files;
    }

    private static List<SpecComponent> ReadComponents(NodeReader reader, YamlMappingNode spec)
    {
        var components = new List<SpecComponent>();
        if (reader.Optional(spec, "cluster") is { } cluster)
        {
            var distributions = reader.Mapping(cluster, "spec.cluster", ComponentNames.K3s, ComponentNames.Microk8s);
            if (reader.Optional(distributions, ComponentNames.K3s) is { } node)
            {
                components.Add(Component(reader, node, ComponentNames.K3s, "spec.cluster.k3s"));
            }
            if (reader.Optional(distributions, ComponentNames.Microk8s) is { } microk8s)
            {
                if (components.Count > 0)
                {
                    throw reader.Error(microk8s, "spec.cluster names k3s and microk8s: a node runs one distribution, keep one of them");
                }
                components.Add(Microk8s(reader, microk8s));
            }
        }
        foreach (var name in new[] { ComponentNames.KubeVirt, ComponentNames.Cdi })
        {
            if (reader.Optional(spec, name) is { } node)
            {
                components.Add(Component(reader, node, name, $"spec.{name}"));
            }
        }
        return components;
    }

    private static SpecComponent Component(NodeReader reader, YamlNode node, string name, string where)
    {
        var mapping = name switch
        {
            ComponentNames.KubeVirt => reader.Mapping(node, where, "version", "featureGates", "optionalComponents"),
            ComponentNames.K3s => reader.Mapping(node, where, "version", "selinux"),
            _ => reader.Mapping(node, where, "version"),
        };
        var version = reader.RequiredScalar(mapping, where, "version");
        if (!Names.ReleaseVersion().IsMatch(version.Value))
        {
            throw reader.Error(version.Node, $"{where}.version '{version.Value}' is not a release version such as v1.3.0{(name == "k3s" ? " or v1.30.4+k3s1" : "")}");
        }
        var gates = new List<string>();
        foreach (var gate in reader.Optional(mapping, "featureGates") is { } list ? reader.Sequence(list, $"{where}.featureGates") : [])
        {
            var text = reader.Scalar(gate, "a feature gate");
            gates.Add(Names.Word().IsMatch(text) ? text : throw reader.Error(gate, $"feature gate '{text}' is not a gate name (letters, digits and '-', such as Snapshot)"));
        }
        return new SpecComponent(name, version.Value, (int)node.Start.Line, gates) { OptionalComponents = OptionalComponents(reader, mapping, where), Selinux = Selinux(reader, mapping, where) };
    }

    /// <summary>spec.kubevirt.optionalComponents: all, or a list (the names are checked against the release's components when it is expanded).</summary>
    private static List<string> OptionalComponents(NodeReader reader, YamlMappingNode mapping, string where)
    {
        if (reader.Optional(mapping, "optionalComponents") is not { } node)
        {
            return [];
        }
        return node is YamlScalarNode ? [reader.Scalar(node, "all or a list of components")] : [.. reader.Sequence(node, $"{where}.optionalComponents").Select(n => reader.Scalar(n, "a component"))];
    }

    /// <summary>spec.cluster.k3s.selinux: true (the default release), false, or a k3s-selinux release tag.</summary>
    private static string? Selinux(NodeReader reader, YamlMappingNode mapping, string where)
    {
        if (reader.OptionalScalar(mapping, "selinux") is not { } selinux)
        {
            return null;
        }
        return selinux.Value switch
        {
            "true" => SpecComponent.DefaultSelinuxRelease,
            "false" => null,
            var tag when Names.K3sSelinuxTag().IsMatch(tag) => tag,
            _ => throw reader.Error(selinux.Node, $"{where}.selinux '{selinux.Value}' is not true, false or a k3s-selinux release tag such as {SpecComponent.DefaultSelinuxRelease}"),
        };
    }

    /// <summary>microk8s by its snap channel, carried as the snaps 'snap download' wrote (no store is reachable offline).</summary>
    private static SpecComponent Microk8s(NodeReader reader, YamlNode node)
    {
        const string where = "spec.cluster.microk8s";
        var mapping = reader.Mapping(node, where, "channel", "snaps");
        var channel = reader.RequiredScalar(mapping, where, "channel");
        if (!Names.SnapChannel().IsMatch(channel.Value))
        {
            throw reader.Error(channel.Node, $"{where}.channel '{channel.Value}' is not a snap channel such as 1.30/stable");
        }
        var snapsNode = reader.Optional(mapping, "snaps") ?? throw reader.Error(node,
            $"{where} needs snaps: run 'snap download microk8s --channel={channel.Value}' and 'snap download core20' on a connected host and list the .snap files (their .assert files are taken from beside them)");
        var snaps = new List<string>();
        foreach (var item in reader.Sequence(snapsNode, $"{where}.snaps"))
        {
            var path = reader.Scalar(item, "a .snap file");
            if (!path.EndsWith(".snap", StringComparison.Ordinal) || !Names.FileName().IsMatch(Path.GetFileName(path)))
            {
                throw reader.Error(item, $"'{path}' is not a .snap file as 'snap download' names them (NAME_REVISION.snap)");
            }
            snaps.Add(path);
        }
        if (!snaps.Any(s => Path.GetFileName(s).StartsWith("microk8s_", StringComparison.Ordinal)))
        {
            throw reader.Error(snapsNode, $"{where}.snaps has no microk8s_REVISION.snap: run 'snap download microk8s --channel={channel.Value}'");
        }
        return new SpecComponent(ComponentNames.Microk8s, channel.Value, (int)node.Start.Line, []) { Snaps = snaps };
    }



    private static List<SpecVmImage> ReadVmImages(NodeReader reader, YamlMappingNode spec)
    {
        var node = reader.Optional(spec, "vmImages");
        if (node is null)
        {
            return [];
        }
        var images = new List<SpecVmImage>();
        foreach (var item in reader.Sequence(node, "spec.vmImages"))
        {
            var mapping = reader.Mapping(item, "an entry of spec.vmImages", "name", "url", "sha256", "format", "delivery", "tag");
            var name = reader.RequiredScalar(mapping, "vmImages[]", "name");
            if (!Names.BundleName().IsMatch(name.Value))
            {
                throw reader.Error(name.Node, $"VM image name '{name.Value}' must be lowercase letters, digits and '-' (it names an image and a file)");
            }
            var url = reader.RequiredScalar(mapping, "vmImages[]", "url");
            var format = reader.RequiredScalar(mapping, "vmImages[]", "format");
            var delivery = reader.OptionalScalar(mapping, "delivery");
            var tag = reader.OptionalScalar(mapping, "tag")?.Value ?? "latest";
            var sha256 = reader.OptionalScalar(mapping, "sha256")?.Value.ToLowerInvariant();
            if (sha256 is not null && !Names.Sha256().IsMatch(sha256))
            {
                throw reader.Error(item, $"sha256 '{sha256}' is not 64 hex digits");
            }
            var diskFormat = format.Value switch
            {
                "qcow2" => DiskFormat.Qcow2,
                "raw" or "img" => DiskFormat.Raw,
                "iso" => DiskFormat.Iso,
                _ => throw reader.Error(format.Node, $"format '{format.Value}' is not one of qcow2, raw, iso"),
            };
            var diskDelivery = delivery?.Value switch
            {
                null or "containerDisk" => DiskDelivery.ContainerDisk,
                "file" => DiskDelivery.File,
                "both" => DiskDelivery.Both,
                _ => throw reader.Error(delivery.Value.Node, $"delivery '{delivery.Value.Value}' is not one of containerDisk, file, both"),
            };
            var download = new SpecFile(url.Value, name.Value, sha256, (int)item.Start.Line);
            if (!download.IsUrl)
            {
                throw reader.Error(url.Node, $"'{url.Value}' is not an http(s) URL");
            }
            if (images.FirstOrDefault(i => i.Name == name.Value) is { } earlier)
            {
                throw reader.Error(name.Node, $"VM image '{name.Value}' is listed already at line {earlier.Download.Line}");
            }
            images.Add(new SpecVmImage(name.Value, download, diskFormat, diskDelivery, tag));
        }
        return images;
    }

    private static string FileName(string source)
    {
        var path = Uri.TryCreate(source, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri.AbsolutePath : source;
        return Path.GetFileName(path.TrimEnd('/'));
    }
}
