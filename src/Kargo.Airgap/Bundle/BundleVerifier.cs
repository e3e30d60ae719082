using System.Buffers;
using System.Formats.Tar;
using System.Security.Cryptography;

namespace Kargo.Airgap.Bundle;

/// <summary>
/// Checks a bundle in one streaming pass: the inventory's signature first, then the inventory's
/// paths, then the files' total size (a missing or truncated part is named here), then every
/// entry's type, name, order, size and sha256 as it streams. Extra, missing, reordered or
/// duplicated entries are errors. Entries go to an optional sink, which keeps only what checked out.
/// </summary>
public static class BundleVerifier
{
    private const int MaxInventoryBytes = 64 << 20;
    private const int MaxSignatureBytes = 64 << 10;
    private const int BufferSize = 1 << 20;

    /// <param name="path">The bundle file, its first part, or its base name.</param>
    /// <param name="trusted">The keys to trust; null skips the signature check (--insecure-skip-signature).</param>
    /// <param name="sink">Where verified entries go; null only checks.</param>
    /// <param name="cancellationToken">Stops between entries.</param>
    /// <param name="phases">Where the "verify" phase reports the bytes checked.</param>
    public static VerifyReport Verify(string path, TrustedKeys? trusted, IEntrySink? sink = null, CancellationToken cancellationToken = default, IPhaseProgress? phases = null) =>
        Check(path, trusted, sink, headOnly: false, cancellationToken, phases);

    /// <summary>
    /// The quick check before a long job: the signature, the inventory and the files' total size,
    /// without reading the entries (so a wrong key or a missing part fails in a second, not after 20 GiB).
    /// </summary>
    public static VerifyReport VerifyHead(string path, TrustedKeys? trusted) => Check(path, trusted, null, headOnly: true, CancellationToken.None, null);

    private static VerifyReport Check(string path, TrustedKeys? trusted, IEntrySink? sink, bool headOnly, CancellationToken cancellationToken, IPhaseProgress? phases)
    {
        var files = BundleFiles.Locate(path);
        var failures = new List<VerifyFailure>();
        var signature = trusted is null ? SignatureState.Skipped : SignatureState.Unsigned;
        string? signedBy = null;
        Inventory? inventory = null;
        byte[]? inventoryBytes = null;
        byte[]? signatureBytes = null;
        var verified = 0;
        long bytes = 0;
        IProgress<long>? progress = null;

        VerifyReport Report()
        {
            if (progress is not null)
            {
                phases?.Complete("verify");
                progress = null;
            }
            return Finished();
        }

        VerifyReport Finished() => new()
        {
            Bundle = files.Name,
            Files = files.Paths,
            Inventory = inventory,
            Signature = signature,
            SignedBy = signedBy,
            Failures = failures,
            EntriesVerified = verified,
            BytesVerified = bytes,
            InventoryBytes = inventoryBytes,
            SignatureBytes = signatureBytes,
        };

        using var stream = new TarFraming(files.OpenRead());
        using var tar = new TarReader(stream);
        TarEntry? NextEntry()
        {
            stream.BeginFrame();
            var entry = tar.GetNextEntry();
            stream.EndFrame();
            return entry;
        }
        // The first framing difference is reported when nothing more telling was found: a hand-made archive
        // with a wrong path or a link fails for that, and a bundle with one changed header byte fails for this.
        VerifyFailure? framing = null;
        void CheckFrame(string path, long size)
        {
            if (!stream.FrameIs(path, size) && framing is null)
            {
                framing = new(path, $"the tar framing before it is not what kargo-bundle writes (a header's checksum, mode, owner, time or a padding byte was changed) ({files.Where(Math.Max(0, stream.Position - TarHeaders.BlockSize), stream.Position)})");
            }
        }
        try
        {
            var first = NextEntry();
            if (first is null || first.Name != Inventory.EntryName || !IsRegular(first) || first.Length > MaxInventoryBytes)
            {
                failures.Add(new("bundle", $"not a kargo bundle: the first entry is '{first?.Name}', not {Inventory.EntryName}"));
                return Report();
            }
            CheckFrame(Inventory.EntryName, first.Length);
            inventoryBytes = ReadSmall(first);
            var next = NextEntry();
            if (next is { Name: Inventory.SignatureEntryName })
            {
                if (!IsRegular(next) || next.Length > MaxSignatureBytes)
                {
                    failures.Add(new(Inventory.SignatureEntryName, "not a regular file of a signature's size"));
                    return Report();
                }
                CheckFrame(Inventory.SignatureEntryName, next.Length);
                signatureBytes = ReadSmall(next);
                next = NextEntry();
            }

            if (trusted is not null)
            {
                if (signatureBytes is null)
                {
                    failures.Add(new(Inventory.SignatureEntryName, "the bundle is unsigned: sign it with 'kargo-bundle sign', or pass --insecure-skip-signature to check it without a signature"));
                    return Report();
                }
                signedBy = trusted.Verify(inventoryBytes, signatureBytes);
                if (signedBy is null)
                {
                    // Which: another key's signature, or a trusted key's over an inventory changed since. The inventory's own
                    // claim tells them apart; it is checked like every field before it is shown.
                    var claimed = ClaimedSigner(inventoryBytes);
                    signedBy = claimed;
                    if (claimed is not null && !trusted.Trusts(claimed))
                    {
                        signature = SignatureState.UntrustedKey;
                        failures.Add(new(Inventory.SignatureEntryName, $"signed by a key that is not trusted ({claimed}): if you trust it, pass its public key with --pub"));
                    }
                    else
                    {
                        signature = SignatureState.Mismatch;
                        failures.Add(new(Inventory.SignatureEntryName, $"the signature does not match the inventory under any of the {trusted.Count} trusted key(s): the inventory was altered after it was signed"));
                    }
                    return Report();
                }
                signature = SignatureState.Verified;
            }

            try
            {
                inventory = Inventory.Parse(inventoryBytes, files.Name);
            }
            catch (KargoException e)
            {
                failures.Add(new(Inventory.EntryName, e.Message));
                return Report();
            }
            var expectedSize = ExpectedSize(inventoryBytes.Length, signatureBytes?.Length, inventory.Entries);
            if (files.SizeProblem(expectedSize) is { } sizeProblem)
            {
                failures.Add(new("bundle", sizeProblem));
                return Report();
            }
            if (headOnly)
            {
                return Report();
            }
            progress = phases?.Begin("verify", inventory.TotalSize);

            var order = inventory.Entries.Select((e, i) => (e.Path, i)).ToDictionary(x => x.Path, x => x.i, StringComparer.Ordinal);
            for (var i = 0; i < inventory.Entries.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var expected = inventory.Entries[i];
                var entry = i == 0 ? next : NextEntry();
                if (entry is null)
                {
                    failures.Add(new(expected.Path, $"missing: the bundle ends after {i} of {inventory.Entries.Count} entries"));
                    return Report();
                }
                var where = files.Where(Math.Max(0, stream.Position - TarHeaders.BlockSize), stream.Position);
                if (entry.Name != expected.Path)
                {
                    failures.Add(new(Printable(entry.Name), (order.TryGetValue(entry.Name, out var at)
                        ? at < i ? $"appears again (a duplicate) where {expected.Path} belongs" : $"out of order: expected {expected.Path} here"
                        : $"not in the inventory (expected {expected.Path} here)") + $" ({where})"));
                    return Report();
                }
                if (!IsRegular(entry))
                {
                    failures.Add(new(expected.Path, $"is a {entry.EntryType}, not a regular file: links, devices and folders are refused ({where})"));
                    return Report();
                }
                if (entry.Length != expected.Size)
                {
                    failures.Add(new(expected.Path, $"is {entry.Length} bytes; the inventory says {expected.Size} ({where})"));
                    return Report();
                }
                CheckFrame(expected.Path, expected.Size);
                var start = stream.Position;
                if (CheckEntry(entry, expected, sink, progress))
                {
                    verified++;
                }
                else
                {
                    failures.Add(new(expected.Path, $"sha256 does not match the inventory ({files.Where(start, stream.Position)}): the content was altered, or a part is swapped or from another bundle"));
                }
                bytes += expected.Size;
            }
            if (NextEntry() is { } extra)
            {
                failures.Add(new(Printable(extra.Name), "follows the last entry the inventory lists: something was appended"));
            }
            else if (!stream.EndIsClean() && framing is null)
            {
                framing = new("bundle", "the padding or end-of-archive blocks after the last entry are not zeros, as kargo-bundle writes them");
            }
            if (failures.Count == 0 && framing is not null)
            {
                failures.Add(framing);
            }
        }
        catch (DestinationException e)
        {
            failures.Add(new("destination", e.Message));
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException or ArgumentException or IOException)
        {
            failures.Add(new("bundle", $"the archive is damaged near {files.Where(stream.Position, stream.Position + 1)}: {e.Message}"));
        }
        catch (KargoException e)
        {
            failures.Add(new(Inventory.EntryName, e.Message));
        }
        return Report();
    }

    /// <summary>The exact size of the tar the inventory describes: each entry's header, content and padding, and the end.</summary>
    public static long ExpectedSize(int inventorySize, int? signatureSize, IEnumerable<InventoryEntry> entries)
    {
        static long Entry(string path, long size) => TarHeaders.ForFile(path, size, BundleItem.RegularMode).Length + size + TarHeaders.PaddingAfter(size);
        var total = Entry(Inventory.EntryName, inventorySize) + TarHeaders.EndOfArchive().Length;
        if (signatureSize is { } s)
        {
            total += Entry(Inventory.SignatureEntryName, s);
        }
        return total + entries.Sum(e => Entry(e.Path, e.Size));
    }

    private static bool CheckEntry(TarEntry entry, InventoryEntry expected, IEntrySink? sink, IProgress<long>? progress)
    {
        var target = sink?.Open(expected);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var data = entry.DataStream;
            int read;
            while (data is not null && (read = data.Read(buffer, 0, BufferSize)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                Write(target, buffer, read, expected);
                progress?.Report(read);
            }
            try
            {
                target?.Dispose();
            }
            catch (IOException e)
            {
                throw new DestinationException(expected, e);
            }
            var ok = Convert.ToHexStringLower(hash.GetHashAndReset()) == expected.Sha256;
            if (sink is not null)
            {
                if (ok)
                {
                    sink.Accept(expected);
                }
                else
                {
                    sink.Reject(expected);
                }
            }
            return ok;
        }
        finally
        {
            target?.Dispose();
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A write to the destination that fails (a full disk, a read-only folder) is the destination's fault, not the bundle's.</summary>
    private static void Write(Stream? target, byte[] buffer, int count, InventoryEntry entry)
    {
        try
        {
            target?.Write(buffer, 0, count);
        }
        catch (IOException e)
        {
            throw new DestinationException(entry, e);
        }
    }

    private sealed class DestinationException(InventoryEntry entry, IOException inner)
        : KargoException($"cannot write {entry.Path} where it is placed: {inner.Message}. The bundle is not at fault: free some space, or check the folder's permissions, and run it again", inner);

    private static byte[] ReadSmall(TarEntry entry)
    {
        using var buffer = new MemoryStream();
        entry.DataStream?.CopyTo(buffer);
        return buffer.ToArray();
    }

    private static bool IsRegular(TarEntry entry) => entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile;

    private static string Printable(string name) => Terminal.Printable(name);

    /// <summary>The fingerprint the inventory names as its signer, when it reads as an inventory at all.</summary>
    private static string? ClaimedSigner(byte[] inventoryBytes)
    {
        try
        {
            return Inventory.Parse(inventoryBytes, Inventory.EntryName).Signer;
        }
        catch (KargoException)
        {
            return null;
        }
    }
}
