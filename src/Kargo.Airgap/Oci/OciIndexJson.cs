using System.Text.Json.Serialization;

namespace Kargo.Airgap.Oci;

/// <summary>The <c>index.json</c> of an OCI image layout.</summary>
public sealed class OciIndexJson
{
    [JsonPropertyName("schemaVersion")]
    public int SchemaVersion { get; set; } = 2;

    [JsonPropertyName("mediaType")]
    public string MediaType { get; set; } = MediaTypes.OciIndex;

    [JsonPropertyName("manifests")]
    public List<Descriptor> Manifests { get; set; } = [];
}

/// <summary>The <c>oci-layout</c> marker file.</summary>
public sealed class OciLayoutMarker
{
    [JsonPropertyName("imageLayoutVersion")]
    public string ImageLayoutVersion { get; set; } = "1.0.0";
}
