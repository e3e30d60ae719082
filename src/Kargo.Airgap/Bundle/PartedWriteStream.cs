using Microsoft.Win32.SafeHandles;

namespace Kargo.Airgap.Bundle;

/// <summary>
/// Writes one bundle as a single file or as parts <c>NAME.000</c>, <c>NAME.001</c>, … of at most a
/// given size. Everything is written under temporary names; <see cref="Commit"/> renames it all into
/// place (and removes parts an earlier, larger build left), <see cref="Dispose"/> without a commit
/// removes it all. Each temporary file is held open with an exclusive lock until then, so the
/// temporary files of a killed build (their lock free) are found and removed by the next one,
/// while a running build's stay. Written in order like any stream; when the whole length is known
/// up front, also at any position (<see cref="WriteAt"/>), so downloads can fill their regions
/// while the rest is written around them.
/// </summary>
public sealed class PartedWriteStream : Stream
{
    private readonly string _output;
    private readonly long? _partSize;
    private readonly long? _length;
    private readonly List<string> _temps = [];
    private readonly List<SafeFileHandle> _handles = [];
    private long _position;
    private bool _committed;

    /// <param name="output">The bundle file; with <paramref name="partSize"/>, the base name of its parts.</param>
    /// <param name="partSize">The largest part, or null for one file.</param>
    /// <param name="length">The whole length, when known: every part is created at once and <see cref="WriteAt"/> may be used.</param>
    public PartedWriteStream(string output, long? partSize, long? length = null)
    {
        _output = Path.GetFullPath(output);
        _partSize = partSize;
        _length = length;
        RemoveAbandoned(_output);
        var parts = length is { } total && partSize is { } size ? Math.Max(1, (total + size - 1) / size) : 1;
        for (var i = 0; i < parts; i++)
        {
            AddPart();
        }
    }

    /// <summary>Temporary files of earlier builds of this output whose lock nobody holds: left by a killed run.</summary>
    public static IReadOnlyList<string> RemoveAbandoned(string output)
    {
        var removed = new List<string>();
        var folder = Path.GetDirectoryName(output)!;
        if (!Directory.Exists(folder))
        {
            return removed;
        }
        foreach (var temp in Directory.EnumerateFiles(folder, $".{Path.GetFileName(output)}*.tmp"))
        {
            try
            {
                using (new FileStream(temp, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
                {
                }
                File.Delete(temp);
                removed.Add(temp);
            }
            catch (IOException)
            {
                // A build that is running holds it.
            }
        }
        return removed;
    }

    /// <summary>The files a commit produces, in order.</summary>
    public IReadOnlyList<string> Files => _partSize is null ? [_output] : [.. _temps.Select((_, i) => PartName(_output, i))];

    public static string PartName(string output, int index) => $"{output}.{index:D3}";

    private void AddPart()
    {
        var final = _partSize is null ? _output : PartName(_output, _temps.Count);
        var temp = AtomicFile.TempPathFor(final);
        // FileShare.None: .NET takes an exclusive lock, which tells a running build's files from a killed one's.
        _handles.Add(File.OpenHandle(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None));
        _temps.Add(temp);
    }

    /// <summary>Writes at a position of the whole bundle, across parts; safe from several threads for regions that do not overlap.</summary>
    public void WriteAt(long position, ReadOnlySpan<byte> buffer)
    {
        if (_length is not { } length)
        {
            throw new InvalidOperationException("WriteAt needs the bundle's length, given when the stream was made");
        }
        if (position < 0 || position + buffer.Length > length)
        {
            throw new ArgumentOutOfRangeException(nameof(position), $"bytes {position}–{position + buffer.Length} lie outside the bundle's {length}");
        }
        WriteParts(position, buffer);
    }

    /// <summary>Splits a write at part boundaries; a part not made yet (length unknown) is made when reached.</summary>
    private void WriteParts(long position, ReadOnlySpan<byte> buffer)
    {
        while (buffer.Length > 0)
        {
            var part = _partSize is { } size ? (int)(position / size) : 0;
            while (part >= _handles.Count)
            {
                AddPart();
            }
            var inPart = _partSize is { } limit ? position % limit : position;
            var room = _partSize is { } partSize ? (int)Math.Min(buffer.Length, partSize - inPart) : buffer.Length;
            RandomAccess.Write(_handles[part], buffer[..room], inPart);
            position += room;
            buffer = buffer[room..];
        }
    }

    /// <summary>Moves on past a region another writer fills (<see cref="WriteAt"/>).</summary>
    public void Skip(long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        _position += count;
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (_length is not null)
        {
            WriteAt(_position, buffer);
        }
        else
        {
            WriteParts(_position, buffer);
        }
        _position += buffer.Length;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Renames everything into place; stale parts of an earlier build at the same name go. A bundle of known length must be complete.</summary>
    public void Commit()
    {
        if (_length is { } length)
        {
            var written = _handles.Sum(RandomAccess.GetLength);
            if (written != length || _position != length)
            {
                throw new InvalidOperationException($"the bundle is {written} bytes of {length} (written up to {_position}): not committed");
            }
        }
        _handles.ForEach(h => h.Dispose());
        var finals = Files;
        for (var i = 0; i < _temps.Count; i++)
        {
            File.Move(_temps[i], finals[i], overwrite: true);
        }
        var stale = _partSize is null ? 0 : _temps.Count;
        while (File.Exists(PartName(_output, stale)))
        {
            File.Delete(PartName(_output, stale++));
        }
        if (_partSize is not null && File.Exists(_output))
        {
            File.Delete(_output);
        }
        _committed = true;
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => _position;
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _handles.ForEach(h => h.Dispose());
            if (!_committed)
            {
                _temps.ForEach(File.Delete);
            }
        }
        base.Dispose(disposing);
    }
}
