using System.Text.RegularExpressions;
using Kargo.Airgap.Oci;
using YamlDotNet.Core;
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
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new SpecException(file, (int)e.Start.Line, (int)e.Start.Column, $"not valid YAML: {e.InnerException?.Message ?? e.Message}");
        }
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
        if (!NamePattern().IsMatch(name.Value))
        {
            throw reader.Error(name.Node, $"metadata.name '{name.Value}' must be lowercase letters, digits and '-', starting with a letter (it names the bundle file)");
        }
        var version = reader.RequiredScalar(metadata, "metadata", "version");
        if (!VersionPattern().IsMatch(version.Value))
        {
            throw reader.Error(version.Node, $"metadata.version '{version.Value}' may hold letters, digits, '.', '_', '+' and '-' only (it names the bundle file)");
        }

        var spec = reader.Mapping(reader.Required(root, "spec"), "spec", "platforms", "images");
        return new BundleSpec
        {
            File = file,
            Name = name.Value,
            Version = version.Value,
            Platforms = ReadPlatforms(reader, spec),
            Images = ReadImages(reader, spec),
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
            var text = reader.Scalar(item, "an image reference");
            ImageReference reference;
            try
            {
                reference = ImageReference.Parse(text);
            }
            catch (KargoException e)
            {
                throw reader.Error(item, e.Message);
            }
            var image = new SpecImage(reference, text, (int)item.Start.Line);
            if (seen.TryGetValue(reference.ToString(), out var earlier))
            {
                throw reader.Error(item, $"image '{text}' is {reference}, already listed at line {earlier.Line}; remove one");
            }
            seen[reference.ToString()] = image;
            images.Add(image);
        }
        return images;
    }

    [GeneratedRegex("^[a-z][a-z0-9-]{0,62}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")]
    private static partial Regex VersionPattern();
}
