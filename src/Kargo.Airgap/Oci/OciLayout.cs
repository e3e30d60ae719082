using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;

namespace Kargo.Airgap.Oci;

/// <summary>
/// A content-addressed OCI image layout on disk: <c>oci-layout</c>, <c>index.json</c> and
/// <c>blobs/sha256/…</c>. A blob reaches its final path only after its size and digest are
/// checked; until then it lives in <c>ingest/</c>, where an interrupted download resumes.
/// </summary>
public sealed class OciLayout : IImageSource, IImageTarget
{
    private const int BufferSize = 1 << 20;

    /// <summary>How often a body that drops mid-stream is opened again from where it stopped.</summary>
    private static readonly Backoff MidStream = new(6, TimeSpan.FromMilliseconds(200));

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

    /// <summary>A manifest the layout holds, or an error naming what is missing (the layout was not fully unpacked).</summary>
    public async Task<byte[]> ReadManifestAsync(ImageReference image, Descriptor manifest, CancellationToken cancellationToken) =>
        Contains(manifest.Digest, manifest.Size) ? await File.ReadAllBytesAsync(BlobPath(manifest.Digest), cancellationToken) : throw Missing(manifest, $"a manifest of {image}");

    public Task<BlobStream> OpenBlobAsync(ImageReference image, Descriptor blob, long offset, CancellationToken cancellationToken)
    {
        if (!Contains(blob.Digest, blob.Size))
        {
            throw Missing(blob, $"a blob of {image}");
        }
        var stream = new FileStream(BlobPath(blob.Digest), FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.Asynchronous | FileOptions.SequentialScan) { Position = offset };
        return Task.FromResult(new BlobStream(stream, offset));
    }

    /// <summary>Copies a blob in from a source unless the layout holds it, resuming a partial copy left by an earlier run.</summary>
    public async Task<BlobPut> PutBlobAsync(IImageSource source, ImageReference from, Descriptor blob, IProgress<long>? progress, CancellationToken cancellationToken) =>
        Contains(blob.Digest, blob.Size)
            ? new BlobPut(BlobOutcome.Present)
            : new BlobPut(BlobOutcome.Copied, await WriteBlobAsync(blob, (offset, ct) => source.OpenBlobAsync(from, blob, offset, ct), progress, cancellationToken));

    /// <summary>Stores a manifest by digest; a layout keeps tags in index.json, which its writer owns, so <paramref name="reference"/> is not recorded here.</summary>
    public Task<bool> PutManifestAsync(Descriptor manifest, byte[] content, string reference, CancellationToken cancellationToken)
    {
        var present = Contains(manifest.Digest, manifest.Size);
        PutBlob(manifest.Digest, content);
        return Task.FromResult(!present);
    }

    /// <summary>The error for content an image needs that this layout lacks.</summary>
    public KargoException Missing(Descriptor descriptor, string what) =>
        new($"{Root}: {what}, {descriptor.Digest} ({descriptor.Size} bytes), is missing or has the wrong size. Unpack the bundle again");

    /// <summary>Stores small content made here (a config, a manifest) and describes it.</summary>
    public Descriptor PutBlob(string mediaType, byte[] content)
    {
        var digest = Digest.Compute(content);
        PutBlob(digest, content);
        return new Descriptor { MediaType = mediaType, Digest = digest, Size = content.Length };
    }

    /// <summary>Stores small content already in memory (a manifest) after checking its digest.</summary>
    public void PutBlob(Digest digest, byte[] content)
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

    /// <summary>Stores a stream of unknown digest (a layer read from an engine): hashed as it is written, named by its digest.</summary>
    public Task<Descriptor> PutBlobAsync(Stream content, string mediaType, CancellationToken cancellationToken) =>
        PutBlobAsync(mediaType, (target, token) => content.CopyToAsync(target, 1 << 20, token), cancellationToken);

    /// <summary>
    /// Stores what <paramref name="write"/> produces (a tar made here): written under a temporary
    /// name while hashed, then renamed to its digest, so a stopped write leaves no blob behind.
    /// </summary>
    public async Task<Descriptor> PutBlobAsync(string mediaType, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(IngestFolder);
        var temp = Path.Combine(IngestFolder, $"put-{Guid.NewGuid():N}.partial");
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long size;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            await using (var hashing = new HashingWriteStream(file, hash))
            {
                await write(hashing, cancellationToken);
                size = hashing.Written;
            }
            var digest = Digest.FromSha256(hash.GetHashAndReset());
            Directory.CreateDirectory(Path.GetDirectoryName(BlobPath(digest))!);
            File.Move(temp, BlobPath(digest), overwrite: true);
            return new Descriptor { MediaType = mediaType, Digest = digest, Size = size };
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>A blob made here from other content, found again by a key naming that content (see <see cref="RememberDerived"/>).</summary>
    public Descriptor? Derived(string madeFrom, string mediaType)
    {
        var note = DerivedNote(madeFrom);
        if (File.Exists(note) && Digest.TryParse(File.ReadAllText(note).Trim(), out var known) && new FileInfo(BlobPath(known)) is { Exists: true } blob)
        {
            return new Descriptor { MediaType = mediaType, Digest = known, Size = blob.Length };
        }
        return null;
    }

    /// <summary>Notes which blob was made from the content <paramref name="madeFrom"/> names, so the next build skips making it.</summary>
    public void RememberDerived(string madeFrom, Digest digest)
    {
        Directory.CreateDirectory(IngestFolder);
        AtomicFile.WriteAllBytes(DerivedNote(madeFrom), System.Text.Encoding.ASCII.GetBytes(digest.ToString()));
    }

    private string IngestFolder => Path.Combine(Root, "ingest");

    private string DerivedNote(string madeFrom) =>
        madeFrom.Length > 0 && madeFrom[0] != '.' && madeFrom.IndexOfAny(['/', '\0']) < 0
            ? Path.Combine(IngestFolder, madeFrom + ".digest")
            : throw new ArgumentException($"'{madeFrom}' is not a file name", nameof(madeFrom));

    public void WriteIndex(IEnumerable<Descriptor> manifests)
    {
        var index = new OciIndexJson { Manifests = [.. manifests] };
        AtomicFile.WriteAllBytes(IndexPath, JsonSerializer.SerializeToUtf8Bytes(index, OciJsonContext.Default.OciIndexJson));
    }

    /// <summary>
    /// Streams a blob into the layout while hashing it, resuming a partial download left by an
    /// earlier run, and renames it into place only when size and digest match.
    /// </summary>
    /// <param name="expected">The blob: its digest and size.</param>
    /// <param name="open">Opens the source from an offset.</param>
    /// <param name="progress">Bytes received.</param>
    /// <param name="cancellationToken">Stops the copy; the partial file stays for the next run.</param>
    /// <param name="tee">Also given every byte of the blob with its position, in order from 0 (what a partial file held first): a bundle's region.</param>
    public async Task<BlobWriteResult> WriteBlobAsync(Descriptor expected, OpenBlobAt open, IProgress<long>? progress, CancellationToken cancellationToken, BlobTee? tee = null)
    {
        if (Contains(expected.Digest, expected.Size))
        {
            return default;
        }
        var (_, _, result) = await IngestCoreAsync(expected.Digest.Hex, expected.Size, expected.Digest, $"blob {expected.Digest}", open, progress, cancellationToken, tee);
        return result;
    }

    /// <summary>
    /// Streams content whose size is not known yet (a URL's first download) into the layout,
    /// keyed by <paramref name="key"/> so an interrupted download resumes, and stores it under the
    /// digest it hashes to. When <paramref name="expected"/> is given, other content is refused.
    /// </summary>
    public async Task<(Descriptor Descriptor, BlobWriteResult Result)> IngestAsync(string key, Digest? expected, OpenBlobAt open, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var partialName = "download-" + Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)))[..32];
        var (digest, size, result) = await IngestCoreAsync(partialName, null, expected, key, open, progress, cancellationToken);
        return (new Descriptor { MediaType = "application/octet-stream", Digest = digest, Size = size }, result);
    }

    /// <summary>
    /// The one download loop: resume from the partial file, copy while hashing, retry a dropped
    /// stream from where it stopped, check, rename into place.
    /// </summary>
    private async Task<(Digest Digest, long Size, BlobWriteResult Result)> IngestCoreAsync(string partialName, long? size, Digest? expected, string what,
        OpenBlobAt open, IProgress<long>? progress, CancellationToken cancellationToken, BlobTee? tee = null)
    {
        Directory.CreateDirectory(IngestFolder);
        var partial = Path.Combine(IngestFolder, partialName + ".partial");

        var file = await OpenPartialAsync(partial, cancellationToken);
        if (expected is { } known && await FetchedMeanwhileAsync(file, partial, known, size))
        {
            return (known, new FileInfo(BlobPath(known)).Length, default);
        }

        BlobWriteResult result;
        Digest actual;
        KargoException? refused;
        using (file)
        using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            result = await TransferAsync(file, hash, size, what, open, progress, tee, cancellationToken);
            actual = Digest.FromSha256(hash.GetHashAndReset());
            refused = Refusal(what, file.Length, size, expected, actual);
        }
        if (refused is not null)
        {
            // Refused content leaves nothing behind, not even its partial file.
            File.Delete(partial);
            throw refused;
        }
        var length = new FileInfo(partial).Length;
        File.Move(partial, BlobPath(actual), overwrite: true);
        return (actual, length, result);
    }

    /// <summary>Another process fetched the content while this one waited for the partial file's lock: nothing to do.</summary>
    private async Task<bool> FetchedMeanwhileAsync(FileStream file, string partial, Digest known, long? size)
    {
        if (!(size is { } length ? Contains(known, length) : File.Exists(BlobPath(known))))
        {
            return false;
        }
        var empty = file.Length == 0;
        await file.DisposeAsync();
        if (empty)
        {
            File.Delete(partial);
        }
        return true;
    }

    /// <summary>
    /// Hashes what the partial file already holds, then copies the rest into it, opening the
    /// source again from where a dropped stream stopped.
    /// </summary>
    private static async Task<BlobWriteResult> TransferAsync(FileStream file, IncrementalHash hash, long? size, string what,
        OpenBlobAt open, IProgress<long>? progress, BlobTee? tee, CancellationToken cancellationToken)
    {
        if (file.Length > (size ?? long.MaxValue) || await HashExistingAsync(file, hash, tee, cancellationToken) == 0)
        {
            hash.GetHashAndReset();
            file.SetLength(0);
        }
        long resumedFrom = 0;
        long transferred = 0;
        for (var attempt = 1; ; attempt++)
        {
            var start = file.Length;
            if (start == size && attempt == 1 && start > 0)
            {
                return default; // an earlier run got every byte but was stopped before the rename
            }
            try
            {
                using var source = await open(start, cancellationToken);
                if (source.Offset != start)
                {
                    // The server sent the whole content: start over so the hash covers every byte once.
                    hash.GetHashAndReset();
                    file.SetLength(0);
                    start = 0;
                }
                resumedFrom = start > 0 ? start : resumedFrom;
                try
                {
                    await CopyAsync(source.Content, file, hash, size, what, progress, tee, cancellationToken);
                }
                finally
                {
                    transferred += file.Length - start;
                }
                return new BlobWriteResult(transferred, resumedFrom);
            }
            catch (Exception e) when (Backoff.IsTransient(e) && MidStream.MayRetry(attempt) && !cancellationToken.IsCancellationRequested)
            {
                await MidStream.WaitAsync(attempt, cancellationToken);
            }
        }
    }

    /// <summary>Why the received content is refused, or null when it is what was asked for.</summary>
    private static KargoException? Refusal(string what, long received, long? size, Digest? expected, Digest actual) =>
        size is { } declared && received != declared ? new SizeMismatchException(what, declared, received)
        : expected is { } wanted && actual != wanted ? new DigestMismatchException(wanted, actual)
        : null;

    /// <summary>EWOULDBLOCK: .NET takes FileShare.None as an flock another open file holds.</summary>
    private const int LockedElsewhere = 11;

    /// <summary>How often a process waits for another that is fetching the same content into a shared cache.</summary>
    public static TimeSpan SharedWaitInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// The partial file, locked for this process. Another process fetching the same content holds
    /// the lock: wait until it finishes (the content is then in place) or dies (its lock is freed
    /// with it, and this one resumes from what it wrote).
    /// </summary>
    private static async Task<FileStream> OpenPartialAsync(string partial, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return new FileStream(partial, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, BufferSize, FileOptions.Asynchronous);
            }
            catch (IOException e) when (e.HResult == LockedElsewhere && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(SharedWaitInterval, cancellationToken);
            }
        }
    }

    private static async Task<long> HashExistingAsync(FileStream file, IncrementalHash hash, BlobTee? tee, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            file.Position = 0;
            int read;
            while ((read = await file.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken)) > 0)
            {
                tee?.Invoke(file.Position - read, buffer.AsSpan(0, read));
                hash.AppendData(buffer, 0, read);
            }
            return file.Length;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task CopyAsync(Stream source, FileStream file, IncrementalHash hash, long? size, string what, IProgress<long>? progress, BlobTee? tee, CancellationToken cancellationToken)
    {
        file.Position = file.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            int read;
            while ((read = await source.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken)) > 0)
            {
                if (file.Position + read > size)
                {
                    throw new KargoException($"{what}: the server sent more than the {size} bytes declared");
                }
                hash.AppendData(buffer, 0, read);
                tee?.Invoke(file.Position, buffer.AsSpan(0, read));
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
}

/// <summary>Receives a blob's bytes as they are written to the cache: the position in the blob, and the bytes.</summary>
public delegate void BlobTee(long position, ReadOnlySpan<byte> bytes);

/// <summary>Content of another size than the one that was pinned or declared.</summary>
public sealed class SizeMismatchException(string what, long expected, long received)
    : KargoException($"{what}: received {received} bytes, expected {expected}")
{
    public long Expected { get; } = expected;
    public long Received { get; } = received;
}

/// <summary>Content whose bytes do not hash to the digest that named them.</summary>
public sealed class DigestMismatchException(Digest expected, Digest actual)
    : KargoException($"blob {expected} does not match its digest: the bytes received hash to {actual}. The registry or something between it and you altered the content; nothing was stored")
{
    public Digest Expected { get; } = expected;
    public Digest Actual { get; } = actual;
}
