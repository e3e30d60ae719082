using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;

namespace Kargo.Airgap.Oci;

/// <summary>
/// A content-addressed OCI image layout on disk: <c>oci-layout</c>, <c>index.json</c> and
/// <c>blobs/sha256/…</c>. A blob reaches its final path only after its size and digest are
/// checked; until then it lives in <c>ingest/</c>, where an interrupted download resumes.
/// </summary>
public sealed class OciLayout
{
    private const int BufferSize = 1 << 20;
    private const int MidStreamRetries = 5;

    public string Root { get; }

    public OciLayout(string root)
    {
        Root = Path.GetFullPath(root);
    }

    public string IndexPath => Path.Combine(Root, "index.json");

    /// <summary>Creates the folders and marker files if missing.</summary>
    public OciLayout EnsureCreated()
    {
        Directory.CreateDirectory(Path.Combine(Root, "blobs", "sha256"));
        var marker = Path.Combine(Root, "oci-layout");
        if (!File.Exists(marker))
        {
            AtomicFile.WriteAllBytes(marker, JsonSerializer.SerializeToUtf8Bytes(new OciLayoutMarker(), OciJsonContext.Default.OciLayoutMarker));
        }
        if (!File.Exists(IndexPath))
        {
            WriteIndex([]);
        }
        return this;
    }

    public string BlobPath(Digest digest)
    {
        digest.EnsureSha256();
        return Path.Combine(Root, "blobs", digest.Algorithm, digest.Hex);
    }

    public bool Contains(Digest digest, long size)
    {
        var info = new FileInfo(BlobPath(digest));
        return info.Exists && info.Length == size;
    }

    public byte[] ReadBlob(Digest digest) => File.ReadAllBytes(BlobPath(digest));

    /// <summary>Stores small content already in memory (a manifest) after checking its digest.</summary>
    public void PutBlob(Digest digest, ReadOnlySpan<byte> content)
    {
        var actual = Digest.Compute(content);
        if (actual != digest)
        {
            throw new KargoException($"content for {digest} hashes to {actual}: refusing to store it");
        }
        var path = BlobPath(digest);
        if (!File.Exists(path))
        {
            AtomicFile.WriteAllBytes(path, content);
        }
    }

    public void WriteIndex(IEnumerable<Descriptor> manifests)
    {
        var index = new OciIndexJson { Manifests = [.. manifests] };
        AtomicFile.WriteAllBytes(IndexPath, JsonSerializer.SerializeToUtf8Bytes(index, OciJsonContext.Default.OciIndexJson));
    }

    /// <summary>
    /// Streams a blob into the layout while hashing it, resuming a partial download left by an
    /// earlier run, and renames it into place only when size and digest match.
    /// </summary>
    public async Task<BlobWriteResult> WriteBlobAsync(Descriptor expected, OpenBlobAt open, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var final = BlobPath(expected.Digest);
        if (Contains(expected.Digest, expected.Size))
        {
            return default;
        }
        var ingest = Path.Combine(Root, "ingest");
        Directory.CreateDirectory(ingest);
        var partial = Path.Combine(ingest, expected.Digest.Hex + ".partial");

        FileStream file;
        try
        {
            file = new FileStream(partial, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, BufferSize, FileOptions.Asynchronous);
        }
        catch (IOException e)
        {
            throw new KargoException($"blob {expected.Digest} is being written by another process in {Root}; wait for it or use another --cache", e);
        }

        long resumedFrom = 0;
        long transferred = 0;
        using (file)
        using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            if (file.Length > expected.Size || await HashExistingAsync(file, hash, cancellationToken) == 0)
            {
                hash.GetHashAndReset();
                file.SetLength(0);
            }
            for (var attempt = 0; ; attempt++)
            {
                var start = file.Length;
                if (start == expected.Size && attempt == 0 && start > 0)
                {
                    break; // an earlier run got every byte but was stopped before the rename
                }
                try
                {
                    using var source = await open(start, cancellationToken);
                    if (source.Offset != start)
                    {
                        // The server sent the whole blob: start over so the hash covers every byte once.
                        hash.GetHashAndReset();
                        file.SetLength(0);
                        start = 0;
                    }
                    else if (start > 0)
                    {
                        resumedFrom = start;
                    }
                    try
                    {
                        await CopyAsync(source.Content, file, hash, expected, progress, cancellationToken);
                    }
                    finally
                    {
                        transferred += file.Length - start;
                    }
                    break;
                }
                catch (Exception e) when (IsTransient(e) && attempt < MidStreamRetries && !cancellationToken.IsCancellationRequested)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(200 << attempt), cancellationToken);
                }
            }

            if (file.Length != expected.Size)
            {
                file.SetLength(0);
                throw new KargoException($"blob {expected.Digest}: received {file.Length} bytes, expected {expected.Size}");
            }
            var actual = Digest.FromSha256(hash.GetHashAndReset());
            if (actual != expected.Digest)
            {
                file.SetLength(0);
                throw new DigestMismatchException(expected.Digest, actual);
            }
        }
        File.Move(partial, final, overwrite: true);
        return new BlobWriteResult(transferred, resumedFrom);
    }

    private static async Task<long> HashExistingAsync(FileStream file, IncrementalHash hash, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            file.Position = 0;
            int read;
            while ((read = await file.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken)) > 0)
            {
                hash.AppendData(buffer, 0, read);
            }
            return file.Length;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task CopyAsync(Stream source, FileStream file, IncrementalHash hash, Descriptor expected, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        file.Position = file.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            int read;
            while ((read = await source.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken)) > 0)
            {
                if (file.Position + read > expected.Size)
                {
                    throw new KargoException($"blob {expected.Digest}: the registry sent more than the {expected.Size} bytes its descriptor declares");
                }
                hash.AppendData(buffer, 0, read);
                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                progress?.Report(read);
            }
        }
        finally
        {
            await file.FlushAsync(CancellationToken.None);
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static bool IsTransient(Exception e) => e is IOException or HttpRequestException;
}

/// <summary>Content whose bytes do not hash to the digest that named them.</summary>
public sealed class DigestMismatchException(Digest expected, Digest actual)
    : KargoException($"blob {expected} does not match its digest: the bytes received hash to {actual}. The registry or something between it and you altered the content; nothing was stored")
{
    public Digest Expected { get; } = expected;
    public Digest Actual { get; } = actual;
}
