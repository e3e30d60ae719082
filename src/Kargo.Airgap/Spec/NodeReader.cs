using YamlDotNet.RepresentationModel;

namespace Kargo.Airgap.Spec;

/// <summary>Typed access to YAML nodes that reports every mistake at its line and column.</summary>
internal sealed class NodeReader(string file)
{
    public SpecException Error(YamlNode node, string message) =>
        new(file, (int)node.Start.Line, (int)node.Start.Column, message);

    /// <summary>A mapping whose keys must be among <paramref name="allowed"/>.</summary>
    public YamlMappingNode Mapping(YamlNode node, string what, params string[] allowed)
    {
        if (node is not YamlMappingNode mapping)
        {
            throw Error(node, $"{what} must be a mapping (key: value lines)");
        }
        foreach (var key in mapping.Children.Keys)
        {
            var name = (key as YamlScalarNode)?.Value;
            if (name is null || !allowed.Contains(name))
            {
                throw Error(key, $"unknown field '{name}' in {what}; expected one of: {string.Join(", ", allowed)}");
            }
        }
        return mapping;
    }

    public IEnumerable<YamlNode> Sequence(YamlNode node, string what) =>
        node as YamlSequenceNode ?? throw Error(node, $"{what} must be a list ('- item' lines)");

    public string Scalar(YamlNode node, string what) =>
        node is YamlScalarNode { Value: { Length: > 0 } value } ? value : throw Error(node, $"expected {what} here, as a single value");

    public YamlNode? Optional(YamlMappingNode mapping, string key) =>
        mapping.Children.TryGetValue(new YamlScalarNode(key), out var value) && !IsNull(value) ? value : null;

    public YamlNode Required(YamlMappingNode mapping, string key) =>
        Optional(mapping, key) ?? throw Error(mapping, $"missing field '{key}'");

    public (string Value, YamlNode Node)? OptionalScalar(YamlMappingNode mapping, string key) =>
        Optional(mapping, key) is { } node ? (Scalar(node, key), node) : null;

    public (string Value, YamlNode Node) RequiredScalar(YamlMappingNode mapping, string parent, string key)
    {
        var node = Optional(mapping, key) ?? throw Error(mapping, $"missing field '{parent}.{key}'");
        return (Scalar(node, $"{parent}.{key}"), node);
    }

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: not (YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted), Value: null or "" or "~" or "null" };
}
