using System.Net;
using System.Net.Security;

namespace Kargo.Airgap.Registry.Http;

/// <summary>
/// The one way kargo speaks HTTP to the outside: registry auth, then retries with backoff, then
/// the scheme choice, then a connection pool whose certificate check trusts the user's CAs (or,
/// for --insecure-registry hosts only, a pool that checks nothing). Registry calls and file downloads share it.
/// </summary>
public static class HttpPipeline
{
    public static HttpClient Create(RegistryOptions options)
    {
        var trust = new TlsTrust(options.CaFiles);
        var insecure = new InsecureHosts(new HashSet<string>(options.InsecureRegistries.Concat(options.Mirrors.InsecureHosts), StringComparer.OrdinalIgnoreCase));
        var sockets = new TrustRoutingHandler(insecure, Sockets(trust.Validate), Sockets((_, _, _, _) => true));
        var pipeline = new RegistryAuthHandler(options.Credentials)
        {
            InnerHandler = new RetryHandler(options.Retry) { InnerHandler = new PlainHttpFallbackHandler(insecure) { InnerHandler = sockets } },
        };
        var client = new HttpClient(pipeline) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.ParseAdd($"kargo-airgap/{typeof(HttpPipeline).Assembly.GetName().Version?.ToString(3)}");
        return client;
    }

    private static SocketsHttpHandler Sockets(RemoteCertificateValidationCallback validate) => new()
    {
        AutomaticDecompression = DecompressionMethods.None,
        ConnectTimeout = TimeSpan.FromSeconds(30),
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
        SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = validate },
    };
}
