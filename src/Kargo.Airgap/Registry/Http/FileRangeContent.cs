using System.Net;
using System.Net.Http.Headers;

namespace Kargo.Airgap.Registry.Http;

/// <summary>
/// A byte range of a file as a request body, streamed and opened anew each time it is sent, so a
/// retried or re-authorised upload sends the same bytes again.
/// </summary>
internal sealed class FileRangeContent : HttpContent
{
    private readonly string _path;
    private readonly long _offset;
    private readonly long _length;

    public FileRangeContent(string path, long offset, long length, bool sayRange)
    {
        (_path, _offset, _length) = (path, offset, length);
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
        await using var file = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        file.Position = _offset;
        var buffer = new byte[1 << 20];
        for (var left = _length; left > 0;)
        {
            var read = await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), cancellationToken);
            if (read == 0)
            {
                throw new IOException($"{_path} ended {left} bytes before the range to send");
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
