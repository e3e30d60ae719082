namespace Kargo.Airgap.Bundle;

/// <summary>
/// Writes one bundle as a single file or as parts <c>NAME.000</c>, <c>NAME.001</c>, … of at most a
/// given size. Everything is written under temporary names; <see cref="Commit"/> renames it all into
/// place (and removes parts an earlier, larger build left), <see cref="Dispose"/> without a commit
/// removes it all. Each temporary file is held open with an exclusive lock until then, so the
/// temporary files of a killed build (their lock free) are found and removed by the next one,
/// while a running build's stay.
/// </summary>
public sealed class PartedWriteStream : Stream
{
    private readonly string _output;
    private readonly long? _partSize;
    private readonly List<string> _temps = [];
    private readonly List<FileStream> _open = [];
    private FileStream? _current;
    private long _inPart;
    private long _written;
    private bool _committed;

    public PartedWriteStream(string output, long? partSize)
    {
        _output = Path.GetFullPath(output);
        _partSize = partSize;
        RemoveAbandoned(_output);
        Next();
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

    private void Next()
    {
        _current?.Flush();
        var final = _partSize is null ? _output : PartName(_output, _temps.Count);
        var temp = AtomicFile.TempPathFor(final);
        _temps.Add(temp);
        _current = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.SequentialScan);
        _open.Add(_current);
        _inPart = 0;
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (buffer.Length > 0)
        {
            if (_partSize is { } limit && _inPart == limit)
            {
                Next();
            }
            var room = _partSize is { } size ? (int)Math.Min(buffer.Length, size - _inPart) : buffer.Length;
            _current!.Write(buffer[..room]);
            _inPart += room;
            _written += room;
            buffer = buffer[room..];
        }
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

    /// <summary>Renames everything into place; stale parts of an earlier build at the same name go.</summary>
    public void Commit()
    {
        _open.ForEach(f => f.Dispose());
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
    public override long Length => _written;
    public override long Position { get => _written; set => throw new NotSupportedException(); }
    public override void Flush() => _current?.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _open.ForEach(f => f.Dispose());
            if (!_committed)
            {
                _temps.ForEach(File.Delete);
            }
        }
        base.Dispose(disposing);
    }
}
