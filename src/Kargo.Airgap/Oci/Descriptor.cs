using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kargo.Airgap.Oci;

/// <summary>An OCI content descriptor: what a manifest, an index or index.json points at.</summary>
public sealed record Descriptor
{
    [JsonPropertyName("mediaType")]
    public required string MediaType { get; init; }

    [JsonPropertyName("digest")]
    public required Digest Digest { get; init; }

    [JsonPropertyName("size")]
    public required long Size { get; init; }

    [JsonPropertyName("platform")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Platform? Platform { get; init; }

    [JsonPropertyName("annotations")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public SortedDictionary<string, string>? Annotations { get; init; }
}

/// <summary>Digests travel as their text form in every JSON document.</summary>
public sealed class DigestJsonConverter : JsonConverter<Digest>
{
    public override Digest Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        if (!Digest.TryParse(text, out var digest))
        {
            throw new JsonException($"'{text}' is not a valid digest");
        }
        return digest;
    }

    public override void Write(Utf8JsonWriter writer, Digest value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}
