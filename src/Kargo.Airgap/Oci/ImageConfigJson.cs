using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kargo.Airgap.Oci;

/// <summary>
/// The smallest OCI image config: a platform and the layers' diff_ids, for an image made here
/// whose layers are uncompressed (a containerDisk), so each diff_id is the layer's digest.
/// </summary>
internal sealed record ImageConfigJson(
    [property: JsonPropertyName("architecture")] string Architecture,
    [property: JsonPropertyName("os")] string Os,
    [property: JsonPropertyName("config")] ImageConfigJson.Empty Config,
    [property: JsonPropertyName("rootfs")] ImageConfigJson.RootFs Rootfs)
{
    public static byte[] Bytes(Platform platform, IEnumerable<Digest> diffIds) =>
        JsonSerializer.SerializeToUtf8Bytes(new ImageConfigJson(platform.Architecture, platform.Os, new Empty(), new RootFs("layers", [.. diffIds])), OciWireJsonContext.Default.ImageConfigJson);

    /// <summary>No entrypoint, environment or labels: KubeVirt only reads the disk file.</summary>
    internal sealed record Empty;

    internal sealed record RootFs(
        [property: JsonPropertyName("type")] string Type,
        [property: JsonPropertyName("diff_ids")] IReadOnlyList<Digest> DiffIds);
}
