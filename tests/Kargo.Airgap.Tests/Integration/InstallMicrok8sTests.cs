using System.Net;
using Kargo.Airgap.Registry;
using Kargo.Airgap.Tests.Infrastructure;
using static Kargo.Airgap.Tests.Infrastructure.Cli;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>
/// A microk8s bundle installed under --root: snaps acknowledged and installed from the bundle with
/// no store, and containerd mirrors in microk8s's certs.d that a real containerd pulls through.
/// </summary>
public sealed class InstallMicrok8sTests(Microk8sBundleFixture bundle) : IClassFixture<Microk8sBundleFixture>, IDisposable
{
    private readonly TempDir _dir = new();

    private string OnNode(string path) => Path.Combine(_dir["node"], path.TrimStart('/'));

    [Fact]
    public async Task Install_acks_and_installs_the_bundled_snaps_and_containerd_pulls_through_the_mirrors_it_wrote()
    {
        var address = new IPEndPoint(IPAddress.Loopback, Loopback.FreePort());

        var result = AssertOk(await OfflineAsync("install", bundle.Bundle, "--pub", bundle.Pub, "--root", _dir["node"], "--addr", address.ToString(), "--timeout", "10m"));

        const string files = "/var/lib/kargo/registry/files/";
        Assert.Equal(
        [
            "systemctl daemon-reload", "systemctl enable kargo-registry.service", "systemctl restart kargo-registry.service",
            $"snap ack {files}core20_2318.assert", $"snap install {files}core20_2318.snap",
            $"snap ack {files}microk8s_7229.assert", $"snap install {files}microk8s_7229.snap --classic",
            "microk8s status --wait-ready --timeout 600", "microk8s config",
        ], File.ReadAllLines(OnNode("/var/lib/kargo/commands.log")));
        foreach (var snap in Microk8sBundleFixture.SnapFiles)
        {
            Assert.Equal(File.ReadAllBytes(bundle.Work[$"snaps/{snap}"]), File.ReadAllBytes(OnNode(files + snap)));
        }
        Assert.False(File.Exists(OnNode("/usr/local/bin/k3s")));
        Assert.Contains("[done] microk8s", result.Stdout);
        Assert.Contains("microk8s 1.30/stable, KubeVirt v1.3.0, CDI v1.59.0", result.Stdout);
        Assert.Contains("'sudo microk8s kubectl get nodes'", result.Stdout);

        // microk8s's containerd reads these hosts.toml files as they are: a real containerd pulls every image through them.
        var certs = OnNode("/var/snap/microk8s/current/args/certs.d");
        Assert.Equal([bundle.SourceRegistry, "kargo.local"], Directory.GetDirectories(certs).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        await using var registry = await RegistryServer.StartAsync(await LayoutCatalog.LoadAsync(OnNode("/var/lib/kargo/registry")), new ServerOptions { Address = address });
        using var containerd = new TestContainerd();
        foreach (var image in Airgap.Bundle.BundleReader.ReadSummary(bundle.Bundle).Inventory.Images.Select(i => i.Reference))
        {
            var pull = await containerd.CtrAsync("images", "pull", "--hosts-dir", certs, image);
            Assert.True(pull.ExitCode == 0, $"{image}: {pull.Output}");
        }
    }

    [Fact]
    public async Task A_node_with_k3s_installed_fails_preflight_for_a_microk8s_bundle()
    {
        Directory.CreateDirectory(OnNode("/usr/local/bin"));
        File.WriteAllText(OnNode("/usr/local/bin/k3s"), "k3s");

        var result = await OfflineAsync("install", bundle.Bundle, "--pub", bundle.Pub, "--root", _dir["node"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("FAIL cluster: k3s is installed (/usr/local/bin/k3s) and this bundle installs microk8s", result.Stderr);
        Assert.Contains("step 'preflight' failed: 1 preflight check(s) failed: cluster", result.Stderr);
        Assert.False(Directory.Exists(OnNode("/var/lib/kargo/registry")));
    }

    [Fact]
    public async Task Join_says_how_microk8s_nodes_join_instead()
    {
        File.WriteAllText(_dir["token"], "t");

        var result = await OfflineAsync("join", bundle.Bundle, "--pub", bundle.Pub, "--root", _dir["node"], "--server", "https://10.0.0.1:6443", "--token-file", _dir["token"], "--addr", "10.0.0.1:5000");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("installs microk8s, which joins its own way", result.Stderr);
        Assert.Contains("microk8s add-node", result.Stderr);
    }

    public void Dispose() => _dir.Dispose();
}
