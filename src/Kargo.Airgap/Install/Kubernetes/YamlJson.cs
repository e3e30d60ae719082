using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Kargo.Airgap.Install.Kubernetes;

/// <summary>
/// A YAML node as the JSON the API server would read from it: plain true/false and numbers typed
/// (YAML 1.2 core schema, as Kubernetes' sigs.k8s.io/yaml does), quoted scalars kept as strings.
/// </summary>
public static class YamlJson
{
    public static JsonNode? Convert(YamlNode? node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children
            .Where(c => c.Key is YamlScalarNode { Value: not null })
            .Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, Convert(c.Value)))
            .DistinctBy(p => p.Key)),
        YamlSequenceNode list => new JsonArray([.. list.Children.Select(Convert)]),
        YamlScalarNode scalar => Scalar(scalar),
        _ => null,
    };

    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        if (scalar.Value is not { } text)
        {
            return null;
        }
        if (scalar.Style is not ScalarStyle.Plain)
        {
            return JsonValue.Create(text);
        }
        return text switch
        {
            "true" or "True" or "TRUE" => JsonValue.Create(true),
            "false" or "False" or "FALSE" => JsonValue.Create(false),
            "null" or "~" or "" => null,
            _ when long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) => JsonValue.Create(number),
            _ when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) && text.Any(char.IsDigit) => JsonValue.Create(real),
            _ => JsonValue.Create(text),
        };
    }
}
