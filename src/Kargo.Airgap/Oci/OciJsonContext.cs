using System.Text.Json.Serialization;

namespace Kargo.Airgap.Oci;

[JsonSerializable(typeof(ManifestDocument.ManifestJson))]
[JsonSerializable(typeof(OciIndexJson))]
[JsonSerializable(typeof(OciLayoutMarker))]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonObject))]
[JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class OciJsonContext : JsonSerializerContext;
