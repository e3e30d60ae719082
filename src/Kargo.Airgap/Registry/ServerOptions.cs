using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace Kargo.Airgap.Registry;

/// <summary>Where and how <c>kargo-offline serve</c> listens.</summary>
public sealed record ServerOptions
{
    /// <summary>The address to listen on; port 0 picks a free one.</summary>
    public required IPEndPoint Address { get; init; }

    /// <summary>The certificate (with key) for HTTPS; null serves plain HTTP.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>One line per request: method, path, status, bytes, milliseconds.</summary>
    public Action<string>? AccessLog { get; init; }

    public static IPEndPoint ParseAddress(string text)
    {
        if (IPEndPoint.TryParse(text, out var endpoint) && text.Contains(':'))
        {
            return endpoint;
        }
        throw new KargoException($"--addr '{text}' is not an address: write IP:PORT, such as 127.0.0.1:5000 or 0.0.0.0:5000");
    }
}
