namespace Kargo.Airgap.Oci;

/// <summary>
/// A place image content is read from, one adapter per place: a registry (through the build
/// cache), an OCI layout (the cache or an unpacked bundle). An engine's images enter through its
/// archive into a layout first. The walker and the copies read only through this.
/// </summary>
public interface IImageSource
{
    /// <summary>The bytes of a manifest or index, checked against <paramref name="manifest"/>'s digest and size.</summary>
    Task<byte[]> ReadManifestAsync(ImageReference image, Descriptor manifest, CancellationToken cancellationToken);

    /// <summary>A blob's bytes from an offset on (a source may start over at 0: the stream says where it starts).</summary>
    Task<BlobStream> OpenBlobAsync(ImageReference image, Descriptor blob, long offset, CancellationToken cancellationToken);
}
