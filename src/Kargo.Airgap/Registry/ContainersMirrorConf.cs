using Tomlyn;
using Tomlyn.Model;

namespace Kargo.Airgap.Registry;

/// <summary>
/// The registries.conf.d drop-in CRI-O and podman read (containers-registries.conf(5), version 2):
/// one <c>[[registry]]</c> per bundled registry host with the local registry as its mirror, so
/// images keep their upstream names and digests. An https endpoint's CA goes where those tools
/// look for it: <c>/etc/containers/certs.d/HOST:PORT/ca.crt</c> (containers-certs.d(5)).
/// </summary>
public static class ContainersMirrorConf
{
    public const string DropIn = "etc/containers/registries.conf.d/50-kargo-mirrors.conf";

    public static string CaFile(Uri endpoint) => $"etc/containers/certs.d/{endpoint.Authority}/ca.crt";

    public static string Text(IEnumerable<string> hosts, Uri endpoint, bool skipVerify)
    {
        var local = MirrorConfig.Exact(endpoint);
        var registries = new TomlTableArray();
        foreach (var host in hosts)
        {
            var mirror = new TomlTable { ["location"] = new Uri(local).Authority };
            if (endpoint.Scheme == "http" || skipVerify)
            {
                // "insecure" is the only way these tools take plain HTTP, and it also skips certificate checks.
                mirror["insecure"] = true;
            }
            registries.Add(new TomlTable
            {
                ["prefix"] = host,
                ["location"] = host,
                ["mirror"] = new TomlTableArray { mirror },
            });
        }
        return "# Written by kargo-offline: every registry of the bundle is served by the local registry.\n"
            + TomlSerializer.Serialize(new TomlTable { ["registry"] = registries });
    }
}
