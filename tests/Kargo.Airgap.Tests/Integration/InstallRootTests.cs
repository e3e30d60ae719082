using System.Text.Json;
using Kargo.Airgap.Install;
using Kargo.Airgap.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;
using static Kargo.Airgap.Tests.Infrastructure.Cli;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>
/// kargo-offline install and join under --root, on a real bundle from the builder: the files a
/// node gets, the commands it would run, the state that makes a re-run resume or do nothing.
/// </summary>
public sealed class InstallRootTests(PlatformBundleFixture bundle) : IClassFixture<PlatformBundleFixture>, IDisposable
{
    private readonly TempDir _dir = new();
    private string Root => _dir["node"];

    private string OnNode(string path) => Path.Combine(Root, path.TrimStart('/'));

    private Task<ProcessResult> InstallAsync(params string[] extra) =>
        OfflineAsync(["install", bundle.Bundle, "--pub", bundle.Pub, "--root", Root, .. extra]);

    private string[] Commands() => File.ReadAllLines(OnNode(HostCommands.RecordFile));

    private InstallState State() => InstallState.Load(OnNode("/var/lib/kargo/install-state.json"));

    [Fact]
    public async Task Install_writes_every_file_a_node_needs_and_records_the_commands_it_would_run()
    {
        var result = AssertOk(await InstallAsync("--addr", "0.0.0.0:5000"));

        Assert.Equal(bundle.Release.K3sBinary, File.ReadAllBytes(OnNode("/usr/local/bin/k3s")));
        Assert.Equal(HostRoot.Executable, File.GetUnixFileMode(OnNode("/usr/local/bin/k3s")));
        Assert.Equal(bundle.Release.AirgapImages, File.ReadAllBytes(OnNode("/var/lib/rancher/k3s/agent/images/k3s-airgap-images-amd64.tar.zst")));
        Assert.Equal(bundle.Release.InstallScript, File.ReadAllBytes(OnNode("/var/lib/kargo/k3s-install.sh")));
        Assert.True(File.Exists(OnNode("/usr/local/bin/virtctl")));

        // registries.yaml, read back as k3s reads it: every registry of the bundle, and kargo.local, through the local registry.
        var registries = new YamlStream();
        registries.Load(new StringReader(File.ReadAllText(OnNode("/etc/rancher/k3s/registries.yaml"))));
        var mirrors = (YamlMappingNode)((YamlMappingNode)registries.Documents[0].RootNode)["mirrors"];
        Assert.Equal([bundle.SourceRegistry, "kargo.local"], mirrors.Children.Keys.Select(k => k.ToString()).Order(StringComparer.Ordinal));
        foreach (var mirror in mirrors.Children.Values)
        {
            Assert.Equal(["http://127.0.0.1:5000"], ((YamlSequenceNode)mirror["endpoint"]).Children.Select(e => e.ToString()));
        }
        // A string to k3s: unquoted, YAML would read 0600 as a number.
        var mode = (YamlScalarNode)At(YamlOf("/etc/rancher/k3s/config.yaml")[0], "write-kubeconfig-mode");
        Assert.Equal("0600", mode.Value);
        Assert.NotEqual(YamlDotNet.Core.ScalarStyle.Plain, mode.Style);
        // k3s v1.30.4 has the embedded registry mirror: the server turns it on for the cluster, as a YAML boolean.
        var embedded = (YamlScalarNode)At(YamlOf("/etc/rancher/k3s/config.yaml")[0], "embedded-registry");
        Assert.Equal(("true", YamlDotNet.Core.ScalarStyle.Plain), (embedded.Value, embedded.Style));

        // CNAO's Multus and bridge CNI write the standard folders: on k3s (v1.30.4, before the fixed plugin path) they are k3s's.
        Assert.Equal("/var/lib/rancher/k3s/agent/etc/cni/net.d", new DirectoryInfo(OnNode("/etc/cni/net.d")).LinkTarget);
        Assert.Equal("/var/lib/rancher/k3s/data/current/bin", new DirectoryInfo(OnNode("/opt/cni/bin")).LinkTarget);
        Assert.Equal(HostRoot.Private, File.GetUnixFileMode(OnNode("/etc/rancher/k3s/config.yaml")));

        // The registry service serves what the unpack placed, on the address asked for.
        var unit = File.ReadAllText(OnNode("/etc/systemd/system/kargo-registry.service"));
        Assert.Matches(@"ExecStart=.* serve /var/lib/kargo/registry --addr 0\.0\.0\.0:5000 --no-access-log", unit);
        Assert.True(File.Exists(OnNode("/var/lib/kargo/registry/oci/index.json")));
        Assert.Equal(bundle.Disk, File.ReadAllBytes(OnNode("/var/lib/kargo/registry/vm/cirros.qcow2")));

        Assert.Equal(
            ["systemctl daemon-reload", "systemctl enable kargo-registry.service", "systemctl restart kargo-registry.service",
             "INSTALL_K3S_EXEC=server INSTALL_K3S_SKIP_DOWNLOAD=true sh /var/lib/kargo/k3s-install.sh"],
            Commands());

        // KubeVirt gets the bundle's feature gates; CDI trusts the registry; the VM imports its disk through the node's mirror.
        var settings = YamlOf("/var/lib/kargo/platform-settings.yaml");
        var kubevirt = settings.Single(d => d["kind"].ToString() == "KubeVirt");
        Assert.Equal(["Snapshot", "LiveMigration"], ((YamlSequenceNode)At(kubevirt, "spec", "configuration", "developerConfiguration", "featureGates")).Children.Select(g => g.ToString()));
        Assert.Matches(@"^[0-9.]+:5000$", At(settings.Single(d => d["kind"].ToString() == "CDI"), "spec", "config", "insecureRegistries", 0).ToString());
        var vm = YamlOf("/var/lib/kargo/vms.yaml").Single();
        var template = At(vm, "spec", "dataVolumeTemplates", 0, "spec");
        Assert.Equal("docker://kargo.local/vm/cirros:latest", At(template, "source", "registry", "url").ToString());
        Assert.Equal("node", At(template, "source", "registry", "pullMethod").ToString());
        Assert.Equal("1Gi", At(template, "storage", "resources", "requests", "storage").ToString());
        Assert.Equal("Halted", At(vm, "spec", "runStrategy").ToString());

        Assert.All(State().Steps, s => Assert.Equal("done", s.Status));
        Assert.Equal(["preflight", "verify", "unpack", "registry", "k3s", "platform", "vms", "check"], State().Steps.Select(s => s.Name));
        Assert.Contains("kubeconfig: /etc/rancher/k3s/k3s.yaml", result.Stdout);
        Assert.Contains("VM cirros (stopped): 'virtctl start cirros'", result.Stdout);
        Assert.Contains("PASS architecture: amd64", result.Stdout);
        // Each step that ran says how long it took.
        Assert.Matches(@"\[done\] unpack \(\d+\.\d (s|min)\)", result.Stdout);
    }

    [Fact]
    public async Task Standard_cni_folders_that_already_hold_files_are_left_alone_with_a_warning()
    {
        Directory.CreateDirectory(OnNode("/etc/cni/net.d"));
        File.WriteAllText(OnNode("/etc/cni/net.d/87-podman.conflist"), "{}");

        var result = AssertOk(await InstallAsync());

        Assert.True(File.Exists(OnNode("/etc/cni/net.d/87-podman.conflist")));
        Assert.Null(new DirectoryInfo(OnNode("/etc/cni/net.d")).LinkTarget);
        Assert.Contains("WARN /etc/cni/net.d already exists and is not k3s's /var/lib/rancher/k3s/agent/etc/cni/net.d", result.Stdout);
        Assert.Equal("/var/lib/rancher/k3s/data/current/bin", new DirectoryInfo(OnNode("/opt/cni/bin")).LinkTarget);
    }

    [Theory]
    [InlineData("v1.30.4+k3s1", "/var/lib/rancher/k3s/data/current/bin")]
    [InlineData("v1.30.6+k3s1", "/var/lib/rancher/k3s/data/cni")]
    [InlineData("v1.29.9+k3s1", "/var/lib/rancher/k3s/data/current/bin")]
    [InlineData("v1.28.15+k3s1", "/var/lib/rancher/k3s/data/cni")]
    [InlineData("v1.27.16+k3s1", "/var/lib/rancher/k3s/data/current/bin")]
    [InlineData("v1.35.6+k3s1", "/var/lib/rancher/k3s/data/cni")]
    public void K3s_looks_for_cni_plugins_where_its_release_put_them(string version, string folder) =>
        Assert.Equal(folder, Kargo.Airgap.Install.Steps.K3sCniPaths.K3sPluginFolder(version));

    [Fact]
    public async Task The_dry_run_plan_is_what_the_run_then_does()
    {
        var plan = AssertOk(await InstallAsync("--dry-run")).Stdout;
        Assert.False(Directory.Exists(Root));

        var run = AssertOk(await InstallAsync());

        // Under --root without --kubeconfig nothing is applied or waited for, and the plan says so.
        Assert.DoesNotContain("wait until KubeVirt", plan);
        Assert.Contains("not applied (--root, no --kubeconfig)", plan);
        Assert.Contains("not applied (--root, no --kubeconfig)", run.Stdout);
        // Every file the plan says it writes is there after the run.
        var written = System.Text.RegularExpressions.Regex.Matches(plan, @"write (/[^\s:,()]+)").Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.NotEmpty(written);
        Assert.All(written, path => Assert.True(File.Exists(OnNode(path)) || Directory.Exists(OnNode(path)), $"planned but not written: {path}"));
        Assert.Contains("write /usr/local/bin/virtctl", plan);
        Assert.Contains("write /var/lib/kargo/vms.yaml: cirros", plan);
        Assert.DoesNotContain("if the bundle carries", plan);
    }

    [Fact]
    public async Task An_old_option_name_still_works_for_a_release_and_says_the_new_one()
    {
        var result = AssertOk(await InstallAsync("--registry-addr", "0.0.0.0:5001"));

        Assert.Contains("warning: --registry-addr is deprecated and goes in a later release: use --addr", result.Stderr);
        Assert.Contains("--addr 0.0.0.0:5001", File.ReadAllText(OnNode("/etc/systemd/system/kargo-registry.service")));
        Assert.DoesNotContain("--registry-addr", (await OfflineAsync("install", "--help")).Stdout);
    }

    [Fact]
    public async Task Under_root_kvm_is_the_nodes_not_this_machines()
    {
        AssertOk(await InstallAsync());
        Assert.Contains("useEmulation: true", File.ReadAllText(OnNode("/var/lib/kargo/platform-settings.yaml")));

        var withKvm = _dir["node-kvm"];
        Directory.CreateDirectory(Path.Combine(withKvm, "dev"));
        File.WriteAllText(Path.Combine(withKvm, "dev/kvm"), "");
        var result = AssertOk(await OfflineAsync("install", bundle.Bundle, "--pub", bundle.Pub, "--root", withKvm));

        Assert.DoesNotContain("useEmulation", File.ReadAllText(Path.Combine(withKvm, "var/lib/kargo/platform-settings.yaml")));
        Assert.Contains("PASS virtualisation", result.Stdout);
    }

    [Fact]
    public async Task A_second_run_changes_nothing_and_says_so()
    {
        AssertOk(await InstallAsync());
        var k3s = File.GetLastWriteTimeUtc(OnNode("/usr/local/bin/k3s"));

        var again = AssertOk(await InstallAsync("--json"));

        using var json = JsonDocument.Parse(again.Stdout);
        Assert.True(json.RootElement.GetProperty("nothingToDo").GetBoolean());
        Assert.All(json.RootElement.GetProperty("steps").EnumerateArray(), s => Assert.Equal("doneBefore", s.GetProperty("status").GetString()));
        Assert.Equal(4, Commands().Length);
        Assert.Equal(k3s, File.GetLastWriteTimeUtc(OnNode("/usr/local/bin/k3s")));

        var text = AssertOk(await InstallAsync());
        Assert.Contains("nothing to do: kargo-platform 1 is already installed", text.Stdout);
    }

    [Fact]
    public async Task A_failed_step_is_recorded_and_the_next_run_resumes_there()
    {
        Directory.CreateDirectory(OnNode("/etc/rancher"));
        File.WriteAllText(OnNode("/etc/rancher/k3s"), "a file where k3s's folder belongs");

        var failed = await InstallAsync();

        Assert.Equal(1, failed.ExitCode);
        Assert.Contains("step 'k3s' failed", failed.Stderr);
        Assert.Contains("it resumes at 'k3s'", failed.Stderr);
        Assert.Equal(["done", "done", "done", "done", "failed"], State().Steps.Select(s => s.Status));

        // Once unpacked, the plan knows every object and its order.
        var plan = AssertOk(await InstallAsync("--dry-run"));
        Assert.Contains("[done in an earlier run] unpack", plan.Stdout);
        Assert.Contains("6 CustomResourceDefinition(s), 5 namespace(s)", plan.Stdout);
        Assert.Contains("write /var/lib/kargo/platform-settings.yaml: KubeVirt kubevirt/kubevirt: feature gates [", plan.Stdout);

        File.Delete(OnNode("/etc/rancher/k3s"));
        var resumed = AssertOk(await InstallAsync());

        Assert.Contains("[done in an earlier run] registry", resumed.Stdout);
        Assert.Contains("[done] k3s", resumed.Stdout);
        Assert.All(State().Steps, s => Assert.Equal("done", s.Status));
        Assert.Single(Commands(), c => c == "systemctl daemon-reload"); // the registry step did not run twice
        Assert.Equal(bundle.Release.K3sBinary, File.ReadAllBytes(OnNode("/usr/local/bin/k3s")));
    }

    [Fact]
    public async Task A_different_bundle_than_the_state_records_starts_over_from_the_first_step()
    {
        AssertOk(await InstallAsync());
        var statePath = OnNode("/var/lib/kargo/install-state.json");
        var state = State();
        state.InventorySha256 = new string('0', 64);
        state.Bundle = "older 0.9";
        state.Save(statePath);

        var again = AssertOk(await InstallAsync());

        Assert.Contains("records another bundle (older 0.9): installing kargo-platform 1 from the first step", again.Stderr);
        Assert.DoesNotContain("done in an earlier run", again.Stdout);
        Assert.Equal(8, Commands().Length);
    }

    [Fact]
    public async Task Dry_run_prints_the_plan_and_writes_nothing()
    {
        var plan = AssertOk(await InstallAsync("--dry-run"));

        Assert.False(Directory.Exists(Root) && Directory.EnumerateFileSystemEntries(Root).Any());
        Assert.Contains("--dry-run: nothing is written", plan.Stdout);
        Assert.Contains("[would run] k3s", plan.Stdout);
        Assert.Contains("write /usr/local/bin/k3s (files/k3s-amd64)", plan.Stdout);
        Assert.Contains("manifests/kubevirt-operator.yaml", plan.Stdout);
        Assert.Contains("not applied (--root, no --kubeconfig): manifests/", plan.Stdout);
        Assert.Contains("write /var/lib/kargo/vms.yaml: cirros", plan.Stdout);
        // The time a user can plan for: the bundle's size over a rate measured on a sample of it.
        Assert.Matches(@"one pass over every byte: about \d+(\.\d)? (s|min) \([0-9.]+ GiB at \d+ MB/s, measured reading and hashing \d+ MiB of it\)", plan.Stdout);
    }

    [Fact]
    public async Task A_bundle_for_another_architecture_fails_preflight_and_places_nothing()
    {
        using var work = new Workspace();
        work.WriteSpec([], platforms: "[linux/arm64]");
        AssertOk(await work.BuildAsync());

        var result = await OfflineAsync("install", work.Output, "--insecure-skip-signature", "--root", Root);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("FAIL architecture: this node is amd64 but the bundle carries only linux/arm64: build one with linux/amd64 in spec.platforms", result.Stderr);
        Assert.Contains("step 'preflight' failed", result.Stderr);
        Assert.Equal(["install-state.json"], Directory.GetFiles(OnNode("/var/lib/kargo")).Select(Path.GetFileName));
        Assert.False(Directory.Exists(OnNode("/var/lib/kargo/registry")));
    }

    [Fact]
    public async Task A_bundle_signed_by_another_key_installs_nothing()
    {
        var result = await OfflineAsync("install", bundle.Bundle, "--pub", bundle.OtherPub, "--root", Root);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("cannot be trusted, nothing was installed", result.Stderr);
        Assert.Contains("signed by a key that is not trusted (sha256:", result.Stderr);
        Assert.False(Directory.Exists(Root));
    }

    [Fact]
    public async Task Pushing_into_an_existing_registry_points_the_mirrors_at_it()
    {
        using var target = new TestRegistry();

        AssertOk(await InstallAsync("--registry", $"http://{target.Host}"));

        Assert.False(File.Exists(OnNode("/etc/systemd/system/kargo-registry.service")));
        Assert.Contains($"- http://{target.Host}\n", File.ReadAllText(OnNode("/etc/rancher/k3s/registries.yaml")));
        var skopeo = await ProcessRunner.RunAsync("skopeo", ["inspect", "--tls-verify=false", $"docker://{target.Host}/kubevirt/virt-operator:v1.3.0"]);
        Assert.True(skopeo.ExitCode == 0, skopeo.Output);
        Assert.Contains(bundle.Release.Images[$"{bundle.SourceRegistry}/kubevirt/virt-operator:v1.3.0"].Digest.ToString(), skopeo.Stdout);
    }

    [Fact]
    public async Task Join_installs_a_k3s_agent_pointed_at_the_first_nodes_registry_and_keeps_the_token_out_of_the_logs()
    {
        File.WriteAllText(_dir["node-token"], "K10secret-token::server:abc\n");

        var result = AssertOk(await OfflineAsync("join", bundle.Bundle, "--pub", bundle.Pub, "--root", Root,
            "--server", "https://10.1.2.3:6443", "--token-file", _dir["node-token"], "--addr", "10.1.2.3:5000"));

        Assert.Contains("- http://10.1.2.3:5000\n", File.ReadAllText(OnNode("/etc/rancher/k3s/registries.yaml")));
        var config = YamlOf("/etc/rancher/k3s/config.yaml")[0];
        Assert.Equal("https://10.1.2.3:6443", At(config, "server").ToString());
        Assert.Equal("/etc/rancher/k3s/kargo-join-token", At(config, "token-file").ToString());
        // The embedded registry mirror is a server flag (an agent refuses it); the agent shares every registry its registries.yaml lists.
        Assert.False(((YamlMappingNode)config).Children.ContainsKey("embedded-registry"));
        var agentRegistries = new YamlStream();
        agentRegistries.Load(new StringReader(File.ReadAllText(OnNode("/etc/rancher/k3s/registries.yaml"))));
        Assert.Equal([bundle.SourceRegistry, "kargo.local"], ((YamlMappingNode)((YamlMappingNode)agentRegistries.Documents[0].RootNode)["mirrors"]).Children.Keys.Select(k => k.ToString()).Order(StringComparer.Ordinal));
        Assert.Equal("K10secret-token::server:abc\n", File.ReadAllText(OnNode("/etc/rancher/k3s/kargo-join-token")));
        Assert.Equal(HostRoot.Private, File.GetUnixFileMode(OnNode("/etc/rancher/k3s/kargo-join-token")));
        Assert.Equal(["INSTALL_K3S_EXEC=agent INSTALL_K3S_SKIP_DOWNLOAD=true sh /var/lib/kargo/k3s-install.sh"], Commands());
        Assert.Equal(bundle.Release.K3sBinary, File.ReadAllBytes(OnNode("/usr/local/bin/k3s")));
        Assert.False(Directory.Exists(OnNode("/var/lib/kargo/registry/oci")), "an agent pulls images from the first node: it needs no layout");
        Assert.False(File.Exists(OnNode("/etc/systemd/system/kargo-registry.service")));
        var everything = string.Join("\n", Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith("kargo-join-token", StringComparison.Ordinal) && new FileInfo(f).LinkTarget is null && new FileInfo(f).Length < 1 << 20).Select(File.ReadAllText));
        Assert.DoesNotContain("K10secret", everything + result.Output);
    }

    [Fact]
    public async Task A_re_run_with_new_values_applies_them_from_the_step_they_change()
    {
        File.WriteAllText(_dir["node-token"], "K10token::server:abc\n");
        Task<ProcessResult> JoinAsync(string server, string registry) => OfflineAsync("join", bundle.Bundle, "--pub", bundle.Pub, "--root", Root,
            "--server", server, "--token-file", _dir["node-token"], "--addr", registry);
        AssertOk(await JoinAsync("https://10.1.2.3:6443", "10.1.2.3:5000"));

        var moved = AssertOk(await JoinAsync("https://10.9.9.9:6443", "10.9.9.9:5000"));

        Assert.Contains("'k3s-agent' ran with server https://10.1.2.3:6443/", moved.Stdout + moved.Stderr);
        Assert.Equal("https://10.9.9.9:6443", At(YamlOf("/etc/rancher/k3s/config.yaml")[0], "server").ToString());
        Assert.Contains("- http://10.9.9.9:5000\n", File.ReadAllText(OnNode("/etc/rancher/k3s/registries.yaml")));
        var again = AssertOk(await JoinAsync("https://10.9.9.9:6443", "10.9.9.9:5000"));
        Assert.Contains("nothing to do", again.Stdout);
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>A YAML file on the node, document by document: tests assert values, not one way of writing them.</summary>
    private List<YamlMappingNode> YamlOf(string nodePath)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(OnNode(nodePath))));
        return [.. stream.Documents.Select(d => (YamlMappingNode)d.RootNode)];
    }

    /// <summary>The node at a path of keys (strings) and positions (ints).</summary>
    private static YamlNode At(YamlNode node, params object[] path) =>
        path.Aggregate(node, (current, step) => step is int index ? ((YamlSequenceNode)current)[index] : ((YamlMappingNode)current)[(string)step]);
}
