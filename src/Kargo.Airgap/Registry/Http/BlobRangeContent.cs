using System.Net;
using System.Net.Http.Headers;
using Kargo.Airgap.Oci;

namespace Kargo.Airgap.Registry.Http;

/// <summary>
/// A byte range of a blob as a request body, streamed from its source and opened anew each time
/// it is sent, so a retried or re-authorised upload sends the same bytes again.
/// </summary>
internal sealed class BlobRangeContent : HttpContent
{
    private readonly IImageSource _source;
    private readonly ImageReference _from;
    private readonly Descriptor _blob;
    private readonly long _offset;
    private readonly long _length;

    public BlobRangeContent(IImageSource source, ImageReference from, Descriptor blob, long offset, long length, bool sayRange)
    {
        (_source, _from, _blob, _offset, _length) = (source, from, blob, offset, length);
        Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        Headers.ContentLength = length;
        if (sayRange)
        {
            Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{offset + length - 1}");
        }
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        using var blob = await _source.OpenBlobAsync(_from, _blob, _offset, cancellationToken);
        if (blob.Offset != _offset)
        {
            throw new IOException($"the source of blob {_blob.Digest} cannot start at byte {_offset}");
        }
        var buffer = new byte[1 << 20];
        for (var left = _length; left > 0;)
        {
            var read = await blob.Content.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), cancellationToken);
            if (read == 0)
            {
                throw new IOException($"blob {_blob.Digest} ended {left} bytes before the range to send");
            }
            await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            left -= read;
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = _length;
        return true;
    }
}
