using System.Net;

namespace Kargo.Airgap.Registry;

/// <summary>A registry answered with an error, or could not be reached.</summary>
public sealed class RegistryException(string message, HttpStatusCode? status = null, Exception? inner = null)
    : KargoException(message, inner ?? new Exception(message))
{
    public HttpStatusCode? Status { get; } = status;
}
