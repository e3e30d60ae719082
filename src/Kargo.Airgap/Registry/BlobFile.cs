using Microsoft.AspNetCore.Http;

namespace Kargo.Airgap.Registry;

/// <summary>
/// A whole blob file as a response body: read in large chunks straight into the response's pipe,
/// with no stream copy buffer between them (a range request goes the framework's way).
/// </summary>
internal static class BlobFile
{
    private const int ChunkBytes = 256 << 10;

    public static async Task SendAsync(HttpContext context, string path)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
        context.Response.ContentType = "application/octet-stream";
        context.Response.ContentLength = file.Length;
        var writer = context.Response.BodyWriter;
        var cancellationToken = context.RequestAborted;
        while (true)
        {
            var read = await file.ReadAsync(writer.GetMemory(ChunkBytes), cancellationToken);
            if (read == 0)
            {
                return;
            }
            writer.Advance(read);
            if ((await writer.FlushAsync(cancellationToken)).IsCompleted)
            {
                return;
            }
        }
    }
}
