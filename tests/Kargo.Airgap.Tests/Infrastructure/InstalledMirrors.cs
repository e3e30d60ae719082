using System.Net;
using Kargo.Airgap.Registry;
using YamlDotNet.RepresentationModel;

namespace Kargo.Airgap.Tests.Infrastructure;

/// <summary>
/// What a node installed under --root pulls through: its content served on the address install was
/// given, and a real containerd using the mirrors install wrote in registries.yaml (as hosts.toml).
/// </summary>
public static class InstalledMirrors
{
    /// <summary>Pulls each reference; throws naming the first that cannot be pulled.</summary>
    public static async Task PullAsync(string root, IPEndPoint address, IEnumerable<(string Reference, string? FoundBy)> images, string certsFolder)
    {
        await using var serve = await RegistryServer.StartAsync(await LayoutCatalog.LoadAsync(Path.Combine(root, "var/lib/kargo/registry")), new ServerOptions { Address = address });
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Path.Combine(root, "etc/rancher/k3s/registries.yaml"))));
        foreach (var (host, mirror) in ((YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["mirrors"]).Children)
        {
            // containerd's equivalent of the registries.yaml install wrote for k3s: the same endpoint per registry.
            var endpoint = new Uri(((YamlSequenceNode)((YamlMappingNode)mirror)["endpoint"]).Children.Single().ToString());
            Directory.CreateDirectory(Path.Combine(certsFolder, host.ToString()));
            File.WriteAllText(Path.Combine(certsFolder, host.ToString(), "hosts.toml"), MirrorConfig.HostsToml(host.ToString(), endpoint, null));
        }
        using var containerd = new TestContainerd();
        foreach (var (reference, foundBy) in images)
        {
            var pull = await containerd.CtrAsync("images", "pull", "--hosts-dir", certsFolder, reference);
            if (pull.ExitCode != 0)
            {
                throw new InvalidOperationException($"{reference} ({foundBy}) cannot be pulled on the node through the mirrors install wrote: {pull.Output}");
            }
        }
    }
}
