using System.Text.Json.Serialization;

namespace Kargo.Airgap.Registry;

internal sealed class CatalogJson
{
    [JsonPropertyName("repositories")]
    public List<string> Repositories { get; set; } = [];
}

internal sealed class TagsJson
{
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    [JsonPropertyName("tags")]
    public List<string> Tags { get; set; } = [];
}

internal sealed class ErrorsJson
{
    [JsonPropertyName("errors")]
    public List<ErrorJson> Errors { get; set; } = [];
}

internal sealed class ErrorJson
{
    [JsonPropertyName("code")]
    public string Code { get; set; } = "";

    [JsonPropertyName("message")]
    public string Message { get; set; } = "";
}

[JsonSerializable(typeof(CatalogJson))]
[JsonSerializable(typeof(TagsJson))]
[JsonSerializable(typeof(ErrorsJson))]
internal sealed partial class ServerJsonContext : JsonSerializerContext;
