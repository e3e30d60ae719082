namespace Kargo.Airgap.Oci;

/// <summary>Blob bytes from some offset on: where the content stream really starts.</summary>
/// <param name="Content">The body; the receiver disposes it.</param>
/// <param name="Offset">The offset of the first byte; 0 when a server ignored a Range request.</param>
public sealed record BlobStream(Stream Content, long Offset) : IDisposable
{
    public void Dispose() => Content.Dispose();
}

/// <summary>Opens a blob's content at an offset, so an interrupted download can resume.</summary>
public delegate Task<BlobStream> OpenBlobAt(long offset, CancellationToken cancellationToken);

/// <summary>What writing one blob cost: bytes moved, and where a resumed download picked up.</summary>
public readonly record struct BlobWriteResult(long BytesTransferred, long ResumedFrom);
