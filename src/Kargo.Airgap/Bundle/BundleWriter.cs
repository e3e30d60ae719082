using System.Buffers;
using System.Security.Cryptography;

namespace Kargo.Airgap.Bundle;

/// <summary>
/// Writes a bundle tar: the inventory first, its signature, then every item in order. The file
/// (or its parts) is written under temporary names, each cached item re-hashed on the way, and
/// renamed into place only when all of it checked out; a failure leaves nothing at the output.
/// Every entry's place is known before a byte is written (the inventory gives each size), so a
/// download can write its blob straight into its region (<see cref="WriteBlobAt"/>) while the
/// writer puts the headers and everything else around it: each byte is written to the bundle once.
/// </summary>
public sealed class BundleWriter : IDisposable
{
    private const int BufferSize = 1 << 20;

    private readonly PartedWriteStream _stream;
    private readonly List<(BundleItem Item, byte[] Header, long DataOffset)> _entries = [];
    private readonly Dictionary<string, long> _dataOffsets = new(StringComparer.Ordinal);

    private BundleWriter(string output, long? partSize, IEnumerable<BundleItem> items)
    {
        long position = 0;
        foreach (var item in items)
        {
            var header = TarHeaders.ForFile(item.Path, item.Size, item.Mode);
            _entries.Add((item, header, position + header.Length));
            _dataOffsets[item.Path] = position + header.Length;
            position += header.Length + item.Size + TarHeaders.PaddingAfter(item.Size);
        }
        _stream = new PartedWriteStream(output, partSize, position + TarHeaders.EndOfArchive().Length);
    }

    /// <summary>Lays out the bundle and creates its (temporary) files.</summary>
    /// <param name="output">The bundle file; with <paramref name="partSize"/>, the base name of its parts.</param>
    /// <param name="partSize">The largest part, or null for one file.</param>
    /// <param name="inventory">The inventory, without a signer: the key, if any, sets it.</param>
    /// <param name="key">Signs the inventory into the second entry; null writes an unsigned bundle.</param>
    /// <param name="items">The entries after the inventory (and signature), in order.</param>
    public static BundleWriter Create(string output, long? partSize, Inventory inventory, SigningKey? key, IReadOnlyList<BundleItem> items)
    {
        var signed = key is null ? inventory : inventory with { Signer = key.Fingerprint };
        var inventoryBytes = signed.ToBytes();
        var head = new List<BundleItem> { BundleItem.FromBytes(Inventory.EntryName, inventoryBytes) };
        if (key is not null)
        {
            head.Add(BundleItem.FromBytes(Inventory.SignatureEntryName, key.Sign(inventoryBytes)));
        }
        return new BundleWriter(output, partSize, head.Concat(items));
    }

    /// <summary>Writes the bundle; returns the files written (one, or the parts).</summary>
    public static async Task<IReadOnlyList<string>> WriteAsync(string output, long? partSize, Inventory inventory, SigningKey? key,
        IReadOnlyList<BundleItem> items, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        using var writer = Create(output, partSize, inventory, key, items);
        return await writer.WriteAsync(progress, cancellationToken);
    }

    /// <summary>Where an entry's bytes start, or null when the bundle has no such entry.</summary>
    public long? DataOffset(string path) => _dataOffsets.TryGetValue(path, out var offset) ? offset : null;

    /// <summary>Writes part of an entry's content at its place (from a download); regions of different entries may be written at once.</summary>
    public void WriteBlobAt(long dataOffset, long position, ReadOnlySpan<byte> bytes) => _stream.WriteAt(dataOffset + position, bytes);

    /// <summary>
    /// Writes every header and every entry's content in order, waiting for each download: one that
    /// filled its region already is stepped over, another is copied from the cache. Commits at the end.
    /// </summary>
    public async Task<IReadOnlyList<string>> WriteAsync(IProgress<long>? progress, CancellationToken cancellationToken)
    {
        foreach (var (item, header, _) in _entries)
        {
            var inPlace = item.Downloading is { } download && await download.WaitAsync(cancellationToken);
            await _stream.WriteAsync(header, cancellationToken);
            if (inPlace)
            {
                _stream.Skip(item.Size);
                progress?.Report(item.Size);
            }
            else if (item.Content is { } content)
            {
                await _stream.WriteAsync(content, cancellationToken);
                progress?.Report(content.Length);
            }
            else
            {
                await CopyVerifiedAsync(_stream, item, progress, cancellationToken);
            }
            await _stream.WriteAsync(new byte[TarHeaders.PaddingAfter(item.Size)], cancellationToken);
        }
        await _stream.WriteAsync(TarHeaders.EndOfArchive(), cancellationToken);
        // No fsync: the rename keeps a half-written file from ever bearing the final name,
        // and integrity rests on the reader checking every entry against the inventory.
        _stream.Commit();
        return _stream.Files;
    }

    public void Dispose() => _stream.Dispose();

    private static async Task CopyVerifiedAsync(Stream output, BundleItem item, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var source = item.SourceFile!;
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var rehash = item.Downloading is null;
            long copied = 0;
            await using (var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan))
            {
                int read;
                while ((read = await input.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken)) > 0)
                {
                    copied += read;
                    if (copied > item.Size)
                    {
                        break;
                    }
                    if (rehash)
                    {
                        hash.AppendData(buffer, 0, read);
                    }
                    await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                    progress?.Report(read);
                }
            }
            var actual = rehash ? Convert.ToHexStringLower(hash.GetHashAndReset()) : item.Sha256;
            if (copied != item.Size || actual != item.Sha256)
            {
                // A cached file that changed on disk since it was verified: drop it so the next run fetches it again.
                File.Delete(source);
                throw new KargoException($"{source} (for {item.Path}) no longer matches its sha256 {item.Sha256}: the cache was damaged on disk. It has been removed; run the build again to fetch it");
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
