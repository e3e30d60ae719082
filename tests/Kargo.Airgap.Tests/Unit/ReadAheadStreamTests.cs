using Kargo.Airgap.Bundle;

namespace Kargo.Airgap.Tests.Unit;

/// <summary>The read-ahead under verify, unpack and sign: every byte in order, failures and cancellation passed on.</summary>
public sealed class ReadAheadStreamTests
{
    [Fact]
    public async Task Sync_and_async_reads_of_any_size_give_every_byte_in_order()
    {
        var content = new byte[(5 << 20) + 123];
        Random.Shared.NextBytes(content);
        using var stream = new ReadAheadStream(new MemoryStream(content));

        var read = new MemoryStream();
        var buffer = new byte[300_001];
        for (var turn = 0; ; turn++)
        {
            var size = 1 + (turn * 7919 % buffer.Length);
            var count = turn % 2 == 0 ? stream.Read(buffer, 0, size) : await stream.ReadAsync(buffer.AsMemory(0, size));
            if (count == 0)
            {
                break;
            }
            read.Write(buffer, 0, count);
        }

        Assert.Equal(content, read.ToArray());
        Assert.Equal(content.Length, stream.Position);
    }

    [Fact]
    public async Task A_read_waiting_on_a_slow_disk_stops_when_its_caller_cancels()
    {
        using var disk = new StalledStream();
        using var stream = new ReadAheadStream(disk);
        using var cancel = new CancellationTokenSource();

        var read = Task.Run(() => stream.ReadAsync(new byte[16], cancel.Token).AsTask());
        await cancel.CancelAsync();

        // The guard only keeps a regression from hanging the suite; it is not a timing assertion.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.WaitAsync(TimeSpan.FromSeconds(30)));
        disk.Release();
    }

    [Fact]
    public void A_failed_disk_read_is_reported_as_itself()
    {
        using var stream = new ReadAheadStream(new FailingStream());

        var error = Assert.Throws<IOException>(() => stream.Read(new byte[16]));
        Assert.Equal("Input/output error", error.Message);
    }

    /// <summary>A disk that gives nothing until released, then ends.</summary>
    private sealed class StalledStream : MemoryStream
    {
        private readonly ManualResetEventSlim _gate = new();

        public void Release() => _gate.Set();

        public override int Read(byte[] buffer, int offset, int count)
        {
            _gate.Wait();
            return 0;
        }

        protected override void Dispose(bool disposing)
        {
            _gate.Set();
            base.Dispose(disposing);
        }
    }

    private sealed class FailingStream : MemoryStream
    {
        public override int Read(byte[] buffer, int offset, int count) => throw new IOException("Input/output error");
    }
}
