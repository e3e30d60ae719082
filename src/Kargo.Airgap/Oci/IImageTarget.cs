namespace Kargo.Airgap.Oci;

/// <summary>What putting one blob into a target did.</summary>
public enum BlobOutcome { Present, Mounted, Copied }

/// <summary>One blob put: the outcome, and for a copy the bytes moved and where a resumed copy picked up.</summary>
public readonly record struct BlobPut(BlobOutcome Outcome, BlobWriteResult Write = default);

/// <summary>
/// A place image content is written to, one adapter per place: a registry repository (push,
/// serve --docker) or an OCI layout (the build cache). An engine takes a whole image as a docker
/// archive instead (Engine/EngineLoader). Blobs go before the manifests that name them.
/// </summary>
public interface IImageTarget
{
    /// <summary>Puts a blob unless the target holds it; <paramref name="source"/> is read only for a copy.</summary>
    /// <param name="source">Where the blob is read from.</param>
    /// <param name="from">The image the source holds it under.</param>
    /// <param name="blob">The blob, checked against its digest and size on the way.</param>
    /// <param name="progress">Bytes as they are copied.</param>
    /// <param name="cancellationToken">Stops the copy.</param>
    Task<BlobPut> PutBlobAsync(IImageSource source, ImageReference from, Descriptor blob, IProgress<long>? progress, CancellationToken cancellationToken);

    /// <summary>Puts a manifest under <paramref name="reference"/> (its digest, or a tag where the target keeps tags) unless it names it already; true when it wrote.</summary>
    Task<bool> PutManifestAsync(Descriptor manifest, byte[] content, string reference, CancellationToken cancellationToken);
}
