using System.Net;

namespace Kargo.Airgap.Registry.Http;

/// <summary>The hosts named insecure (plain HTTP, or HTTPS without certificate checks), and loopback, which may use plain HTTP too.</summary>
internal sealed class InsecureHosts(IReadOnlySet<string> registries)
{
    /// <summary>True for a host named with --insecure-registry, by its address or (for docker.io) its registry name.</summary>
    public bool IsInsecure(Uri uri) =>
        registries.Contains(uri.Authority) || registries.Contains(Oci.ImageReference.RegistryOfHost(uri.Authority));

    public bool MayUsePlainHttp(Uri uri) => IsInsecure(uri) || IsLoopback(uri.Host);

    public static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}
