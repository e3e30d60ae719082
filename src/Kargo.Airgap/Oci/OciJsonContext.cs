using System.Text.Json.Serialization;

namespace Kargo.Airgap.Oci;

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(ManifestDocument.ManifestJson))]
[JsonSerializable(typeof(OciIndexJson))]
[JsonSerializable(typeof(OciLayoutMarker))]
internal sealed partial class OciJsonContext : JsonSerializerContext;
