using System.Buffers;
using System.Security.Cryptography;

namespace Kargo.Airgap.Bundle;

/// <summary>
/// Writes a bundle tar: the inventory first, its signature, then every item in order. The file
/// (or its parts) is written under temporary names, each cached item re-hashed on the way, and
/// renamed into place only when all of it checked out; a failure leaves nothing at the output.
/// </summary>
public static class BundleWriter
{
    private const int BufferSize = 1 << 20;

    /// <summary>Writes the bundle; returns the files written (one, or the parts).</summary>
    /// <param name="output">The bundle file; with <paramref name="partSize"/>, the base name of its parts.</param>
    /// <param name="partSize">The largest part, or null for one file.</param>
    /// <param name="inventory">The inventory, without a signer: the key, if any, sets it.</param>
    /// <param name="key">Signs the inventory into the second entry; null writes an unsigned bundle.</param>
    /// <param name="items">The entries after the inventory (and signature), in order.</param>
    /// <param name="progress">Bytes copied.</param>
    /// <param name="cancellationToken">Stops the write; nothing is left behind.</param>
    public static async Task<IReadOnlyList<string>> WriteAsync(string output, long? partSize, Inventory inventory, SigningKey? key,
        IReadOnlyList<BundleItem> items, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        using var stream = new PartedWriteStream(output, partSize);
        var signed = key is null ? inventory : inventory with { Signer = key.Fingerprint };
        var inventoryBytes = signed.ToBytes();
        await WriteItemAsync(stream, BundleItem.FromBytes(Inventory.EntryName, inventoryBytes), progress, cancellationToken);
        if (key is not null)
        {
            await WriteItemAsync(stream, BundleItem.FromBytes(Inventory.SignatureEntryName, key.Sign(inventoryBytes)), progress, cancellationToken);
        }
        foreach (var item in items)
        {
            await WriteItemAsync(stream, item, progress, cancellationToken);
        }
        await stream.WriteAsync(TarHeaders.EndOfArchive(), cancellationToken);
        // No fsync: the rename keeps a half-written file from ever bearing the final name,
        // and integrity rests on the reader checking every entry against the inventory.
        stream.Commit();
        return stream.Files;
    }

    private static async Task WriteItemAsync(Stream output, BundleItem item, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        if (item.Downloading is { } download)
        {
            await download.WaitAsync(cancellationToken);
        }
        await output.WriteAsync(TarHeaders.ForFile(item.Path, item.Size, item.Mode), cancellationToken);
        if (item.Content is { } content)
        {
            await output.WriteAsync(content, cancellationToken);
            progress?.Report(content.Length);
        }
        else
        {
            await CopyVerifiedAsync(output, item, progress, cancellationToken);
        }
        await output.WriteAsync(new byte[TarHeaders.PaddingAfter(item.Size)], cancellationToken);
    }

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
