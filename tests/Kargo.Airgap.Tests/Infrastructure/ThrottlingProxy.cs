using System.Net;
using System.Net.Sockets;

namespace Kargo.Airgap.Tests.Infrastructure;

/// <summary>
/// A TCP relay in front of a local server that can slow responses down (to interrupt a
/// download at a known point) and cut a connection once after some bytes (a dropped link).
/// </summary>
public sealed class ThrottlingProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private long _dropAfter;

    private int _unavailable;

    /// <summary>Connections answered "503 Service Unavailable" so far.</summary>
    public int Refused => _refused;

    private int _refused;

    /// <summary>Answers this many connections, from now on, with 503 instead of relaying them.</summary>
    public int UnavailableConnections
    {
        set => Interlocked.Exchange(ref _unavailable, value);
    }

    /// <summary>Bytes per second from server to client; 0 is unlimited.</summary>
    public long BytesPerSecond { get; set; }

    public string Host => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public ThrottlingProxy(string targetHost, long dropOnceAfterBytes = 0)
    {
        var colon = targetHost.LastIndexOf(':');
        _target = new IPEndPoint(IPAddress.Parse(targetHost[..colon]), int.Parse(targetHost[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        _dropAfter = dropOnceAfterBytes;
        _listener.Start();
        _ = Task.Run(AcceptAsync);
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(() => RelayAsync(client));
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        if (Interlocked.Decrement(ref _unavailable) >= 0)
        {
            using (client)
            {
                Interlocked.Increment(ref _refused);
                var stream = client.GetStream();
                await ReadRequestHeadAsync(stream);
                await stream.WriteAsync("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray());
                return;
            }
        }
        using (client)
        using (var server = new TcpClient())
        {
            try
            {
                await server.ConnectAsync(_target, _stop.Token);
                var up = client.GetStream().CopyToAsync(server.GetStream(), _stop.Token);
                var down = PumpDownAsync(server.GetStream(), client.GetStream());
                await Task.WhenAny(up, down);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }
    }

    private static async Task ReadRequestHeadAsync(NetworkStream stream)
    {
        var seen = new List<byte>();
        var one = new byte[1];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            while (await stream.ReadAsync(one, timeout.Token) == 1)
            {
                seen.Add(one[0]);
                if (seen.Count >= 4 && seen[^4] == '\r' && seen[^3] == '\n' && seen[^2] == '\r' && seen[^1] == '\n')
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // A TLS probe sends no HTTP head: answer it anyway.
        }
    }

    private async Task PumpDownAsync(Stream from, Stream to)
    {
        var buffer = new byte[16 * 1024];
        long sent = 0;
        var started = DateTime.UtcNow;
        int read;
        while ((read = await from.ReadAsync(buffer, _stop.Token)) > 0)
        {
            var drop = Interlocked.Read(ref _dropAfter);
            if (drop > 0 && sent + read >= drop && Interlocked.CompareExchange(ref _dropAfter, 0, drop) == drop)
            {
                await to.WriteAsync(buffer.AsMemory(0, (int)(drop - sent)), _stop.Token);
                return; // the connection closes mid-response
            }
            await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            sent += read;
            if (BytesPerSecond > 0)
            {
                var due = started + TimeSpan.FromSeconds((double)sent / BytesPerSecond);
                var wait = due - DateTime.UtcNow;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _stop.Token);
                }
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}
