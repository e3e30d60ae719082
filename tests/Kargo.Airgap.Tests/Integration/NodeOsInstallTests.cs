using System.Text.Json;
using Kargo.Airgap.Tests.Infrastructure;
using static Kargo.Airgap.Tests.Infrastructure.Cli;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>Two k3s bundles of the same release: one carrying k3s-selinux (spec.cluster.k3s.selinux: true), one not.</summary>
public sealed class SelinuxBundleFixture : IAsyncLifetime
{
    public Workspace Work { get; } = new();
    public Dictionary<string, byte[]> Rpms { get; private set; } = [];
    public string WithPolicy => Work["with-policy.kargo"];
    public string WithoutPolicy => Work["without-policy.kargo"];

    public async Task InitializeAsync()
    {
        using var registry = new TestRegistry();
        using var pusher = new TestPusher(registry);
        await using var release = await PlatformRelease.StartAsync(registry, pusher);
        Rpms = release.SelinuxRpms;
        release.WriteSpec(Work.Spec, addOns: false, cluster: $"k3s: {{version: \"{PlatformRelease.K3s}\", selinux: true}}");
        AssertOk(await BundleAsync("build", Work.Spec, "-o", WithPolicy, "--lock", Work.Lock, "--cache", Work.Cache, "--release-mirror", release.MirrorUrl));
        release.WriteSpec(Work.Spec, addOns: false);
        AssertOk(await BundleAsync("build", Work.Spec, "-o", WithoutPolicy, "--lock", Work["plain.lock"], "--cache", Work.Cache, "--release-mirror", release.MirrorUrl));
    }

    public Task DisposeAsync()
    {
        Work.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>
/// The same bundle installed under --root as Ubuntu and as Fedora with SELinux enforcing: the policy
/// RPM from the bundle and the relabel only where SELinux enforces; an enforcing node without the
/// policy in the bundle stops at preflight, naming the fix.
/// </summary>
public sealed class NodeOsInstallTests(SelinuxBundleFixture bundle) : IClassFixture<SelinuxBundleFixture>, IDisposable
{
    private readonly StandInHost _host = new();

    private Task<ProcessResult> InstallAsync(string path, params string[] extra) =>
        OfflineAsync(["install", path, "--insecure-skip-signature", "--root", _host.Root, .. extra]);

    /// <summary>The commands recorded after the registry service's (systemctl) ones: the k3s step's.</summary>
    private string[] Commands() => [.. File.ReadAllLines(_host["/var/lib/kargo/commands.log"]).Where(c => !c.StartsWith("systemctl ", StringComparison.Ordinal))];

    [Fact]
    public async Task The_bundle_carries_k3s_selinux_for_el8_and_el9_when_the_spec_asks()
    {
        var json = JsonDocument.Parse(AssertOk(await BundleAsync("inspect", bundle.WithPolicy, "--json")).Stdout).RootElement;
        var files = json.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("path").GetString()).ToList();
        Assert.Contains("files/k3s-selinux-1.6-1.el8.noarch.rpm", files);
        Assert.Contains("files/k3s-selinux-1.6-1.el9.noarch.rpm", files);
        var plain = JsonDocument.Parse(AssertOk(await BundleAsync("inspect", bundle.WithoutPolicy, "--json")).Stdout).RootElement;
        Assert.DoesNotContain(plain.GetProperty("files").EnumerateArray(), f => f.GetProperty("path").GetString()!.Contains("selinux", StringComparison.Ordinal));
    }

    [Fact]
    public async Task On_ubuntu_k3s_installs_without_any_selinux_step()
    {
        _host.Ubuntu().Hypervisor().Nic();
        var result = AssertOk(await InstallAsync(bundle.WithPolicy));
        Assert.Contains("PASS os: Ubuntu 24.04.3 LTS (Ubuntu/Debian family)", result.Stdout);
        Assert.Contains("PASS selinux: not enabled", result.Stdout);
        Assert.Equal(["INSTALL_K3S_EXEC=server INSTALL_K3S_SKIP_DOWNLOAD=true sh /var/lib/kargo/k3s-install.sh"], Commands());
    }

    [Fact]
    public async Task On_fedora_enforcing_the_bundled_policy_is_installed_and_k3s_relabelled_before_its_install_script_runs()
    {
        _host.Fedora().Hypervisor().Nic().Folder("/usr/share/containers/selinux/contexts");
        var result = AssertOk(await InstallAsync(bundle.WithPolicy));
        Assert.Contains("PASS selinux: enforcing: k3s-selinux-1.6-1.el8.noarch.rpm from the bundle is installed before k3s", result.Stdout);
        Assert.Equal(
        [
            "rpm --upgrade --replacepkgs /var/lib/kargo/registry/files/k3s-selinux-1.6-1.el8.noarch.rpm",
            "restorecon -v /usr/local/bin/k3s",
            "INSTALL_K3S_EXEC=server INSTALL_K3S_SKIP_DOWNLOAD=true INSTALL_K3S_SKIP_SELINUX_RPM=true sh /var/lib/kargo/k3s-install.sh",
        ], Commands());
        Assert.Equal(bundle.Rpms["k3s-selinux-1.6-1.el8.noarch.rpm"], File.ReadAllBytes(_host["/var/lib/kargo/registry/files/k3s-selinux-1.6-1.el8.noarch.rpm"]));
    }

    [Fact]
    public async Task A_rhel_9_root_given_with_node_os_takes_the_el9_policy()
    {
        _host.Hypervisor().Write("/sys/fs/selinux/enforce", "1").Folder("/usr/share/containers/selinux/contexts");
        AssertOk(await InstallAsync(bundle.WithPolicy, "--node-os", "rocky:9.4"));
        Assert.Equal("rpm --upgrade --replacepkgs /var/lib/kargo/registry/files/k3s-selinux-1.6-1.el9.noarch.rpm", Commands()[0]);
    }

    [Fact]
    public async Task An_enforcing_node_and_a_bundle_without_the_policy_stop_at_preflight_with_nothing_placed()
    {
        _host.Fedora().Hypervisor();
        var result = await InstallAsync(bundle.WithoutPolicy);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("FAIL selinux: enforcing, and the bundle carries no k3s-selinux policy for el8", result.Stderr);
        Assert.Contains("build the bundle with spec.cluster.k3s.selinux: true", result.Stderr);
        Assert.Contains("FAIL container-selinux: not installed", result.Stderr);
        Assert.Contains("step 'preflight' failed: 2 preflight check(s) failed: selinux; container-selinux", result.Stderr);
        Assert.False(Directory.Exists(_host["/var/lib/kargo/registry"]));
    }

    [Fact]
    public async Task Doctor_checks_the_node_with_or_without_a_bundle_and_exits_1_on_a_failure()
    {
        _host.Fedora().Hypervisor().Nic();
        var nodeOnly = await OfflineAsync("doctor", "--root", _host.Root);
        Assert.Equal(1, nodeOnly.ExitCode); // container-selinux is missing on this enforcing node
        Assert.Contains("node: Fedora Linux 43 (Server Edition) (Fedora/RHEL family) (no bundle: the node's own checks)", nodeOnly.Stdout);
        Assert.Contains("PASS selinux: enforcing: the bundle must carry k3s's policy for el8 (spec.cluster.k3s.selinux: true)", nodeOnly.Stdout);
        Assert.DoesNotContain("architecture", nodeOnly.Stdout);

        _host.Folder("/usr/share/containers/selinux/contexts");
        var json = JsonDocument.Parse(AssertOk(await OfflineAsync("doctor", bundle.WithPolicy, "--root", _host.Root, "--json")).Stdout).RootElement;
        Assert.True(json.GetProperty("ok").GetBoolean());
        Assert.Equal(("fedora", "43", "rhel", "kargo-platform 1"), (json.GetProperty("os").GetString(), json.GetProperty("osVersion").GetString(), json.GetProperty("family").GetString(), json.GetProperty("bundle").GetString()));
        var checks = json.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("outcome").GetString());
        Assert.Equal("pass", checks["architecture"]);
        Assert.Equal("warn", checks["bridge"]);
        Assert.False(File.Exists(_host["/var/lib/kargo/install-state.json"]));
    }

    public void Dispose() => _host.Dispose();
}
