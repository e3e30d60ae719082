using System.Collections.Concurrent;
using System.Net.Security;
using System.Net.Sockets;

namespace Kargo.Airgap.Registry.Http;

/// <summary>
/// The scheme choice: HTTPS everywhere, except that a loopback or --insecure-registry host which
/// does not speak TLS is reached over plain HTTP. Each host is probed once, on no caller's token,
/// so one cancelled request does not cancel the choice for the rest.
/// </summary>
internal sealed class PlainHttpFallbackHandler(InsecureHosts insecure) : DelegatingHandler
{
    private readonly ConcurrentDictionary<string, Task<bool>> _speaksTls = new(StringComparer.OrdinalIgnoreCase);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri is { Scheme: "https" } uri && insecure.MayUsePlainHttp(uri) && !await SpeaksTlsAsync(uri, cancellationToken))
        {
            request.RequestUri = new UriBuilder(uri) { Scheme = "http", Port = uri.IsDefaultPort ? -1 : uri.Port }.Uri;
        }
        return await base.SendAsync(request, cancellationToken);
    }

    /// <summary>Whether the host of <paramref name="uri"/> answers a TLS handshake; asked once per host and port.</summary>
    internal async Task<bool> SpeaksTlsAsync(Uri uri, CancellationToken cancellationToken)
    {
        var probe = _speaksTls.GetOrAdd(uri.Authority, _ => ProbeAsync(uri.IdnHost, uri.Port));
        // A cancelled caller stops here even when the choice is already made.
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            return await probe.WaitAsync(cancellationToken);
        }
        catch (Exception) when (probe.IsFaulted)
        {
            // A failed probe is tried again by the next request, not remembered.
            _speaksTls.TryRemove(new KeyValuePair<string, Task<bool>>(uri.Authority, probe));
            throw;
        }
    }

    /// <summary>True when the server answers a TLS handshake (whatever its certificate), false when it speaks plain HTTP.</summary>
    private static async Task<bool> ProbeAsync(string host, int port)
    {
        using var tcp = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await tcp.ConnectAsync(host, port, timeout.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false; // unreachable either way: the request itself reports it
        }
        var sawCertificate = false;
        await using var ssl = new SslStream(tcp.GetStream(), false, (_, _, _, _) => sawCertificate = true);
        try
        {
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = host }, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or OperationCanceledException)
        {
            return sawCertificate;
        }
    }
}
