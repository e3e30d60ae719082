using System.Text.Json.Serialization;

namespace Kargo.Airgap.Oci;

/// <summary>Documents made here whose bytes are hashed (manifests, indexes, configs): compact, as registries and engines write them.</summary>
[JsonSerializable(typeof(ManifestDocument.ManifestJson))]
[JsonSerializable(typeof(ImageConfigJson))]
internal sealed partial class OciWireJsonContext : JsonSerializerContext;
