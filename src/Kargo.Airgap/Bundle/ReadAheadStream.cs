using System.Threading.Channels;

namespace Kargo.Airgap.Bundle;

/// <summary>
/// Reads a stream on a background task into a few fixed buffers, so the consumer (hashing)
/// and the disk work at the same time. Memory stays at a few buffers whatever the size.
/// </summary>
internal sealed class ReadAheadStream : ReadOnlyStream
{
    private const int ChunkSize = 1 << 20;
    private const int Chunks = 4;

    private readonly Stream _inner;
    private readonly Channel<(byte[] Buffer, int Length)> _filled = Channel.CreateBounded<(byte[], int)>(Chunks);
    private readonly Channel<byte[]> _empty = Channel.CreateBounded<byte[]>(Chunks);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;
    private (byte[] Buffer, int Length, int Offset) _current;
    private long _position;
    private bool _ended;

    public ReadAheadStream(Stream inner)
    {
        _inner = inner;
        for (var i = 0; i < Chunks; i++)
        {
            _empty.Writer.TryWrite(new byte[ChunkSize]);
        }
        _reader = Task.Run(FillAsync);
    }

    private async Task FillAsync()
    {
        try
        {
            while (true)
            {
                var buffer = await _empty.Reader.ReadAsync(_stop.Token);
                var length = 0;
                int read;
                while (length < ChunkSize && (read = _inner.Read(buffer, length, ChunkSize - length)) > 0)
                {
                    length += read;
                }
                await _filled.Writer.WriteAsync((buffer, length), _stop.Token);
                if (length == 0)
                {
                    break;
                }
            }
            _filled.Writer.TryComplete();
        }
        catch (OperationCanceledException)
        {
            _filled.Writer.TryComplete();
        }
        catch (Exception e)
        {
            _filled.Writer.TryComplete(e);
        }
    }

    /// <summary>The synchronous read blocks until the background task has filled the next buffer.</summary>
    public override int Read(Span<byte> buffer)
    {
        if (buffer.Length == 0 || _ended)
        {
            return 0;
        }
        if (NeedsChunk && !Accept(NextChunkAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult()))
        {
            return 0;
        }
        return CopyOut(buffer);
    }

    /// <summary>Waits for the next buffer without holding a thread, and stops waiting when the caller cancels.</summary>
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0 || _ended)
        {
            return 0;
        }
        if (NeedsChunk && !Accept(await NextChunkAsync(cancellationToken)))
        {
            return 0;
        }
        return CopyOut(buffer.Span);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private bool NeedsChunk => _current.Buffer is null || _current.Offset == _current.Length;

    /// <summary>Hands the used buffer back to the reader task and takes the next filled one.</summary>
    private async ValueTask<(byte[] Buffer, int Length)> NextChunkAsync(CancellationToken cancellationToken)
    {
        if (_current.Buffer is not null)
        {
            _empty.Writer.TryWrite(_current.Buffer);
            _current = default;
        }
        try
        {
            return await _filled.Reader.ReadAsync(cancellationToken);
        }
        catch (ChannelClosedException e) when (e.InnerException is { } failure)
        {
            // The disk read failed on the background task: report that failure, not the channel's.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
            throw;
        }
    }

    /// <summary>Makes <paramref name="next"/> the current buffer; false at the end of the stream.</summary>
    private bool Accept((byte[] Buffer, int Length) next)
    {
        if (next.Length == 0)
        {
            _ended = true;
            return false;
        }
        _current = (next.Buffer, next.Length, 0);
        return true;
    }

    private int CopyOut(Span<byte> buffer)
    {
        var count = Math.Min(buffer.Length, _current.Length - _current.Offset);
        _current.Buffer.AsSpan(_current.Offset, count).CopyTo(buffer);
        _current.Offset += count;
        _position += count;
        return count;
    }

    /// <summary>Bytes handed to the consumer so far: where in the bundle it is.</summary>
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    private bool _disposed;

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _stop.Cancel();
            _empty.Writer.TryComplete();
            try
            {
                _reader.Wait(TimeSpan.FromSeconds(5));
            }
            catch (AggregateException)
            {
            }
            _inner.Dispose();
            _stop.Dispose();
        }
        base.Dispose(disposing);
    }
}
