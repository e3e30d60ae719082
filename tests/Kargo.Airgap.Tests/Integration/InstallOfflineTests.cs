using System.Net;
using Kargo.Airgap.Registry;
using Kargo.Airgap.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;
using static Kargo.Airgap.Tests.Infrastructure.Cli;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>
/// Proofs that an installed node needs no network: the platform's stand-in operators
/// (<see cref="StandInOperators"/>, in the API double) start what the real ones start, and a real
/// containerd pulls every one of those images by its upstream name through the mirrors install
/// wrote, from the registry install set up (the registry the bundle was built from is gone); and
/// install runs in a namespace with only loopback.
/// </summary>
public sealed class InstallOfflineTests(PlatformBundleFixture bundle) : IClassFixture<PlatformBundleFixture>, IDisposable
{
    private readonly TempDir _dir = new();

    private string OnNode(string path) => Path.Combine(_dir["node"], path.TrimStart('/'));

    [Fact]
    public async Task Containerd_pulls_every_image_the_operators_start_by_its_upstream_name_through_the_mirrors_install_wrote()
    {
        var address = new IPEndPoint(IPAddress.Loopback, Loopback.FreePort());
        await using var api = await KubernetesApiDouble.StartAsync();
        AssertOk(await OfflineAsync("install", bundle.Bundle, "--pub", bundle.Pub, "--root", _dir["node"], "--addr", address.ToString(), "--kubeconfig", api.Kubeconfig));

        // What kargo-registry.service runs: serve over the layout the unpack step placed.
        await using var registry = await RegistryServer.StartAsync(await LayoutCatalog.LoadAsync(OnNode("/var/lib/kargo/registry")), new ServerOptions { Address = address });

        // containerd's equivalent of the registries.yaml k3s got: a hosts.toml per mirrored registry, to the same endpoint.
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(OnNode("/etc/rancher/k3s/registries.yaml"))));
        var mirrors = (YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["mirrors"];
        foreach (var (host, mirror) in mirrors.Children)
        {
            var endpoint = new Uri(((YamlSequenceNode)mirror["endpoint"]).Children.Single().ToString());
            Directory.CreateDirectory(_dir[$"certs.d/{host}"]);
            File.WriteAllText(_dir[$"certs.d/{host}/hosts.toml"], MirrorConfig.HostsToml(host.ToString(), endpoint, null));
        }

        // What the node's kubelet would pull: every image a started pod names.
        var started = api.Started.ToDictionary();
        foreach (var name in PlatformRelease.KubeVirtDerived)
        {
            Assert.Contains($"{bundle.SourceRegistry}/kubevirt/{name}:v1.3.0", started.Keys);
        }
        Assert.Contains(started.Keys, i => i.EndsWith("/cdi-importer:v1.59.0", StringComparison.Ordinal));
        Assert.Contains(started.Keys, i => i.Contains("/k8snetworkplumbingwg/multus-cni@sha256:", StringComparison.Ordinal));
        Assert.Contains(started.Keys, i => i.EndsWith("/sig-storage/csi-node-driver-registrar:v2.2.0", StringComparison.Ordinal));
        using var containerd = new TestContainerd();
        foreach (var (image, pod) in started)
        {
            var pull = await containerd.CtrAsync("images", "pull", "--hosts-dir", _dir["certs.d"], image);
            Assert.True(pull.ExitCode == 0, $"{image}, started by {pod}, cannot be pulled on the node: {pull.Output}");
        }
    }

    [NetnsFact]
    public async Task Install_runs_in_a_network_namespace_with_only_loopback()
    {
        await using var ns = await NetworkNamespace.CreateAsync();
        var links = await ns.RunAsync("ip", "-o", "link", "show");
        Assert.Equal(["lo"], links.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(':')[1].Trim()));
        var route = await ns.RunAsync("ip", "route", "get", "1.1.1.1");
        Assert.NotEqual(0, route.ExitCode); // nowhere to go

        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var program = typeof(Kargo.Offline.OfflineCli).Assembly.Location;
        var result = await ns.RunAsync(dotnet, program, "install", bundle.Bundle, "--pub", bundle.Pub, "--root", _dir["node"], "--addr", "127.0.0.1:5000");

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("installed kargo-platform 1", result.Stdout);
        Assert.Equal(bundle.Release.K3sBinary, File.ReadAllBytes(OnNode("/usr/local/bin/k3s")));
        Assert.Equal(8, Kargo.Airgap.Install.InstallState.Load(OnNode("/var/lib/kargo/install-state.json")).Steps.Count(s => s.Status == "done"));
    }

    public void Dispose() => _dir.Dispose();
}
