using System.Buffers;
using System.Formats.Tar;
using System.Security.Cryptography;

namespace Kargo.Airgap.Bundle;

/// <summary>
/// One streaming pass of <see cref="BundleVerifier"/>, stage by stage: the head (inventory and
/// signature entries), the signature, the inventory's fields, the files' total size, then every
/// entry as it streams, then the end. A stage that finds a problem records it and stops the pass.
/// </summary>
internal sealed class VerifyPass : IDisposable
{
    private const int MaxInventoryBytes = 64 << 20;
    private const int MaxSignatureBytes = 64 << 10;
    private const int BufferSize = 1 << 20;

    private readonly BundleFiles _files;
    private readonly TrustedKeys? _trusted;
    private readonly IEntrySink? _sink;
    private readonly IPhaseProgress? _phases;
    private readonly CancellationToken _cancellationToken;
    private readonly TarFraming _stream;
    private readonly TarReader _tar;
    private readonly List<VerifyFailure> _failures = [];
    private SignatureState _signature;
    private string? _signedBy;
    private Inventory? _inventory;
    private byte[]? _inventoryBytes;
    private byte[]? _signatureBytes;
    private TarEntry? _next;
    private int _verified;
    private long _bytes;
    private IProgress<long>? _progress;

    // The first framing difference is reported when nothing more telling was found: a hand-made archive
    // with a wrong path or a link fails for that, and a bundle with one changed header byte fails for this.
    private VerifyFailure? _framing;

    public VerifyPass(BundleFiles files, TrustedKeys? trusted, IEntrySink? sink, IPhaseProgress? phases, CancellationToken cancellationToken)
    {
        _files = files;
        _trusted = trusted;
        _sink = sink;
        _phases = phases;
        _cancellationToken = cancellationToken;
        _signature = trusted is null ? SignatureState.Skipped : SignatureState.Unsigned;
        _stream = new TarFraming(files.OpenRead());
        _tar = new TarReader(_stream);
    }

    public VerifyReport Run(bool headOnly)
    {
        try
        {
            if (ReadHead() && CheckSignature() && ReadInventory() && CheckSize() && !headOnly)
            {
                _progress = _phases?.Begin(PhaseNames.Verify, _inventory!.TotalSize);
                if (CheckEntries())
                {
                    CheckEnd();
                }
            }
        }
        catch (DestinationException e)
        {
            _failures.Add(new("destination", e.Message));
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException or ArgumentException or IOException)
        {
            _failures.Add(new("bundle", $"the archive is damaged near {_files.Where(_stream.Position, _stream.Position + 1)}: {e.Message}"));
        }
        catch (KargoException e)
        {
            _failures.Add(new(Inventory.EntryName, e.Message));
        }
        if (_progress is not null)
        {
            _phases?.Complete(PhaseNames.Verify);
        }
        return new VerifyReport
        {
            Bundle = _files.Name,
            Files = _files.Paths,
            Inventory = _inventory,
            Signature = _signature,
            SignedBy = _signedBy,
            Failures = _failures,
            EntriesVerified = _verified,
            BytesVerified = _bytes,
            InventoryBytes = _inventoryBytes,
            SignatureBytes = _signatureBytes,
        };
    }

    private bool Fail(string entry, string problem)
    {
        _failures.Add(new(entry, problem));
        return false;
    }

    /// <summary>The inventory entry, then the signature entry if there is one.</summary>
    private bool ReadHead()
    {
        var first = NextEntry();
        if (first is null || first.Name != Inventory.EntryName || !IsRegular(first) || first.Length > MaxInventoryBytes)
        {
            return Fail("bundle", $"not a kargo bundle: the first entry is '{(first is null ? "" : Terminal.Printable(first.Name))}', not {Inventory.EntryName}");
        }
        CheckFrame(Inventory.EntryName, first.Length);
        _inventoryBytes = ReadSmall(first);
        _next = NextEntry();
        if (_next is { Name: Inventory.SignatureEntryName })
        {
            if (!IsRegular(_next) || _next.Length > MaxSignatureBytes)
            {
                return Fail(Inventory.SignatureEntryName, "not a regular file of a signature's size");
            }
            CheckFrame(Inventory.SignatureEntryName, _next.Length);
            _signatureBytes = ReadSmall(_next);
            _next = NextEntry();
        }
        return true;
    }

    private bool CheckSignature()
    {
        if (_trusted is null)
        {
            return true;
        }
        if (_signatureBytes is null)
        {
            return Fail(Inventory.SignatureEntryName, "the bundle is unsigned: sign it with 'kargo-bundle sign', or pass --insecure-skip-signature to check it without a signature");
        }
        _signedBy = _trusted.Verify(_inventoryBytes!, _signatureBytes);
        if (_signedBy is not null)
        {
            _signature = SignatureState.Verified;
            return true;
        }
        // Which: another key's signature, or a trusted key's over an inventory changed since. The inventory's own
        // claim tells them apart; it is checked like every field before it is shown.
        var claimed = ClaimedSigner(_inventoryBytes!);
        _signedBy = claimed;
        if (claimed is not null && !_trusted.Trusts(claimed))
        {
            _signature = SignatureState.UntrustedKey;
            return Fail(Inventory.SignatureEntryName, $"signed by a key that is not trusted ({claimed}): if you trust it, pass its public key with --pub");
        }
        _signature = SignatureState.Mismatch;
        return Fail(Inventory.SignatureEntryName, $"the signature does not match the inventory under any of the {_trusted.Count} trusted key(s): the inventory was altered after it was signed");
    }

    private bool ReadInventory()
    {
        try
        {
            _inventory = Inventory.Parse(_inventoryBytes!, _files.Name);
            return true;
        }
        catch (KargoException e)
        {
            return Fail(Inventory.EntryName, e.Message);
        }
    }

    /// <summary>The files add up to the exact size the inventory implies: a missing or truncated part is named before anything else is read.</summary>
    private bool CheckSize()
    {
        var expected = BundleVerifier.ExpectedSize(_inventoryBytes!.Length, _signatureBytes?.Length, _inventory!.Entries);
        return _files.SizeProblem(expected) is not { } problem || Fail("bundle", problem);
    }

    /// <summary>Every entry in the inventory's order: its name, type, size, framing and sha256.</summary>
    private bool CheckEntries()
    {
        var entries = _inventory!.Entries;
        var order = entries.Select((e, i) => (e.Path, i)).ToDictionary(x => x.Path, x => x.i, StringComparer.Ordinal);
        for (var i = 0; i < entries.Count; i++)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            var expected = entries[i];
            var entry = i == 0 ? _next : NextEntry();
            if (entry is null)
            {
                return Fail(expected.Path, $"missing: the bundle ends after {i} of {entries.Count} entries");
            }
            var where = _files.Where(Math.Max(0, _stream.Position - TarHeaders.BlockSize), _stream.Position);
            if (entry.Name != expected.Path)
            {
                return Fail(Terminal.Printable(entry.Name), (order.TryGetValue(entry.Name, out var at)
                    ? at < i ? $"appears again (a duplicate) where {expected.Path} belongs" : $"out of order: expected {expected.Path} here"
                    : $"not in the inventory (expected {expected.Path} here)") + $" ({where})");
            }
            if (!IsRegular(entry))
            {
                return Fail(expected.Path, $"is a {entry.EntryType}, not a regular file: links, devices and folders are refused ({where})");
            }
            if (entry.Length != expected.Size)
            {
                return Fail(expected.Path, $"is {entry.Length} bytes; the inventory says {expected.Size} ({where})");
            }
            CheckFrame(expected.Path, expected.Size);
            var start = _stream.Position;
            if (CheckContent(entry, expected))
            {
                _verified++;
            }
            else
            {
                _failures.Add(new(expected.Path, $"sha256 does not match the inventory ({_files.Where(start, _stream.Position)}): the content was altered, or a part is swapped or from another bundle"));
            }
            _bytes += expected.Size;
        }
        return true;
    }

    /// <summary>Nothing after the last entry but its padding and the end-of-archive zeros.</summary>
    private void CheckEnd()
    {
        if (NextEntry() is { } extra)
        {
            _failures.Add(new(Terminal.Printable(extra.Name), "follows the last entry the inventory lists: something was appended"));
        }
        else if (!_stream.EndIsClean() && _framing is null)
        {
            _framing = new("bundle", "the padding or end-of-archive blocks after the last entry are not zeros, as kargo-bundle writes them");
        }
        if (_failures.Count == 0 && _framing is not null)
        {
            _failures.Add(_framing);
        }
    }

    private TarEntry? NextEntry()
    {
        _stream.BeginFrame();
        var entry = _tar.GetNextEntry();
        _stream.EndFrame();
        return entry;
    }

    private void CheckFrame(string path, long size)
    {
        if (!_stream.FrameIs(path, size) && _framing is null)
        {
            _framing = new(path, $"the tar framing before it is not what kargo-bundle writes (a header's checksum, mode, owner, time or a padding byte was changed) ({_files.Where(Math.Max(0, _stream.Position - TarHeaders.BlockSize), _stream.Position)})");
        }
    }

    /// <summary>Hashes the entry's content as it streams into the sink, which keeps it only if it matched.</summary>
    private bool CheckContent(TarEntry entry, InventoryEntry expected)
    {
        var target = _sink?.Open(expected);
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
                _progress?.Report(read);
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
            if (ok)
            {
                _sink?.Accept(expected);
            }
            else
            {
                _sink?.Reject(expected);
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

    public void Dispose()
    {
        _tar.Dispose();
        _stream.Dispose();
    }
}
