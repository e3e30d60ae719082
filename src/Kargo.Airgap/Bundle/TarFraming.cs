namespace Kargo.Airgap.Bundle;

/// <summary>
/// The bytes of a bundle outside its entries' contents — each header, the padding after each
/// content, the end-of-archive blocks — are fixed by the inventory: kargo-bundle writes exactly
/// <see cref="TarHeaders.ForFile"/> for every entry. A tar reader forgives a wrong checksum, mode,
/// time or padding; this does not. It wraps the archive stream and keeps what the reader reads
/// between one entry's content and the next entry's, to be compared with what the writer writes.
/// </summary>
internal sealed class TarFraming(Stream inner) : ReadOnlyStream
{
    /// <summary>More than any header kargo-bundle writes (PAX for a 1024-byte path, with padding): beyond it the frame is wrong anyway.</summary>
    private const int MaxFrame = 8 * TarHeaders.BlockSize;

    private readonly MemoryStream _frame = new();
    private bool _capturing;
    private long _previousSize = -1;

    public override long Position { get => inner.Position; set => throw new NotSupportedException(); }

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        if (_capturing && _frame.Length < MaxFrame)
        {
            _frame.Write(buffer[..(int)Math.Min(read, MaxFrame - _frame.Length)]);
        }
        return read;
    }

    /// <summary>Keeps what the reader reads from now: the previous content's padding and the next header.</summary>
    public void BeginFrame()
    {
        _frame.SetLength(0);
        _capturing = true;
    }

    public void EndFrame() => _capturing = false;

    /// <summary>Whether the frame read was exactly the padding after the previous entry and the header kargo-bundle writes for this one.</summary>
    public bool FrameIs(string path, long size)
    {
        var expected = new MemoryStream();
        if (_previousSize >= 0)
        {
            expected.Write(new byte[TarHeaders.PaddingAfter(_previousSize)]);
        }
        expected.Write(TarHeaders.ForFile(path, size, BundleItem.RegularMode));
        _previousSize = size;
        return _frame.ToArray().AsSpan().SequenceEqual(expected.ToArray());
    }

    /// <summary>After the last entry: its padding and the end-of-archive blocks, all zeros, to the end of the file.</summary>
    public bool EndIsClean()
    {
        _capturing = true;
        var rest = new byte[TarHeaders.BlockSize];
        while (Read(rest) > 0)
        {
        }
        _capturing = false;
        return _frame.Length <= MaxFrame && _frame.ToArray().All(b => b == 0);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
