using System.Collections.Concurrent;
using System.Net;
using Kargo.Airgap.Registry;
using Kargo.Airgap.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;
using static Kargo.Airgap.Tests.Infrastructure.Cli;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>
/// The node's view: images named docker.io/… and quay.io/… in an unpacked layout, the mirror
/// config kargo-offline writes, and a real containerd pulling through it from serve.
/// </summary>
public sealed class MirrorTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly TestImage _busybox;
    private readonly TestImage _operator;
    private readonly TestImage _multi;

    public MirrorTests()
    {
        (_busybox, _operator, _multi) = TestLayout.WriteUpstreamSet(_dir["node"], "mirror");
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Registry_config_writes_a_mirror_for_every_registry_host()
    {
        File.WriteAllText(_dir["ca.pem"], "-----BEGIN CERTIFICATE-----\nstand-in\n-----END CERTIFICATE-----\n");
        var result = AssertOk(await OfflineAsync("registry-config", _dir["node"], "--endpoint", "https://10.0.0.5:5000", "--root", _dir["root"], "--ca", _dir["ca.pem"]));

        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(_dir["root/etc/rancher/k3s/registries.yaml"])));
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var mirrors = (YamlMappingNode)root["mirrors"];
        Assert.Equal(["docker.io", "quay.io"], mirrors.Children.Keys.Select(k => ((YamlScalarNode)k).Value));
        Assert.Equal("https://10.0.0.5:5000", ((YamlScalarNode)((YamlSequenceNode)((YamlMappingNode)mirrors["quay.io"])["endpoint"])[0]).Value);
        var tls = (YamlMappingNode)((YamlMappingNode)((YamlMappingNode)root["configs"])["10.0.0.5:5000"])["tls"];
        // The CA travels under the root, and both files name it where it is on the node, not on this machine.
        Assert.Equal("/etc/kargo/registry-ca.crt", ((YamlScalarNode)tls["ca_file"]).Value);
        Assert.Equal(File.ReadAllText(_dir["ca.pem"]), File.ReadAllText(_dir["root/etc/kargo/registry-ca.crt"]));

        var hosts = File.ReadAllText(_dir["root/etc/containerd/certs.d/docker.io/hosts.toml"]);
        Assert.Contains("server = \"https://registry-1.docker.io\"", hosts);
        Assert.Contains("[host.\"https://10.0.0.5:5000\"]", hosts);
        Assert.Contains("ca = \"/etc/kargo/registry-ca.crt\"", hosts);
        Assert.Contains("wrote", result.Stdout);
    }

    [Fact]
    public async Task Credentials_go_into_registries_yaml_readable_by_root_only_and_are_never_printed()
    {
        var result = AssertOk(await OfflineAsync("registry-config", _dir["node"], "--endpoint", "https://harbor.lan", "--root", _dir["root"], "--creds", "robot$kargo:p\"a:ss", "--insecure-skip-verify"));

        var file = _dir["root/etc/rancher/k3s/registries.yaml"];
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(file)));
        var config = (YamlMappingNode)((YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["configs"])["harbor.lan"];
        Assert.Equal("robot$kargo", ((YamlScalarNode)((YamlMappingNode)config["auth"])["username"]).Value);
        Assert.Equal("p\"a:ss", ((YamlScalarNode)((YamlMappingNode)config["auth"])["password"]).Value);
        Assert.Equal("true", ((YamlScalarNode)((YamlMappingNode)config["tls"])["insecure_skip_verify"]).Value);
        Assert.DoesNotContain("p\"a:ss", result.Output);
        Assert.Contains("skip_verify = true", File.ReadAllText(_dir["root/etc/containerd/certs.d/quay.io/hosts.toml"]));
    }

    [Theory]
    [InlineData("--creds", "robot:pass\nword", "the password holds a control character")]
    [InlineData("--creds", "ro\u001bbot:password", "the username holds a control character")]
    [InlineData("--ca", "/var/lib/kargo/tls/ca\n.pem", "--ca /var/lib/kargo/tls/ca?.pem does not exist")]
    [InlineData("--endpoint", "https://user:secret@harbor.lan", "give them with --creds")]
    [InlineData("--endpoint", "https://[fe80::1%25eth0]:5000", "IPv6 address with a zone")]
    public async Task What_the_files_cannot_hold_as_it_is_is_refused_and_nothing_is_written(string option, string value, string expected)
    {
        string[] args = ["registry-config", _dir["node"], "--root", _dir["root"]];
        args = option == "--endpoint" ? [.. args, "--endpoint", value] : [.. args, "--endpoint", "https://harbor.lan", option, value];

        var result = await OfflineAsync(args);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(expected, result.Stderr);
        Assert.DoesNotContain("secret", result.Output);
        Assert.False(Directory.Exists(_dir["root"]) && Directory.EnumerateFiles(_dir["root"], "*", SearchOption.AllDirectories).Any());
    }

    [Fact]
    public async Task Written_values_are_read_back_exactly_by_yaml_and_toml_parsers()
    {
        File.WriteAllText(_dir["a \"quoted\" #ca.pem"], "stand-in CA\n");
        AssertOk(await OfflineAsync("registry-config", _dir["node"], "--endpoint", "https://harbor.lan:8443", "--root", _dir["root"],
            "--creds", "robot:'#: \\\"{}[]&*", "--ca", _dir["a \"quoted\" #ca.pem"]));

        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(_dir["root/etc/rancher/k3s/registries.yaml"])));
        var config = (YamlMappingNode)((YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["configs"])["harbor.lan:8443"];
        Assert.Equal("'#: \\\"{}[]&*", ((YamlScalarNode)((YamlMappingNode)config["auth"])["password"]).Value);
        Assert.Equal("/etc/kargo/registry-ca.crt", ((YamlScalarNode)((YamlMappingNode)config["tls"])["ca_file"]).Value);
        var toml = Tomlyn.TomlSerializer.Deserialize<Tomlyn.Model.TomlTable>(File.ReadAllText(_dir["root/etc/containerd/certs.d/quay.io/hosts.toml"]))!;
        var host = (Tomlyn.Model.TomlTable)((Tomlyn.Model.TomlTable)toml["host"])["https://harbor.lan:8443"];
        Assert.Equal("/etc/kargo/registry-ca.crt", host["ca"]);
        Assert.Equal("https://quay.io", toml["server"]);
    }

    [Fact]
    public async Task Containerd_pulls_docker_io_quay_io_and_multi_platform_images_through_the_mirror()
    {
        var requests = new ConcurrentQueue<string>();
        await using var server = await RegistryServer.StartAsync(await LayoutCatalog.LoadAsync(_dir["node"]),
            new ServerOptions { Address = new IPEndPoint(IPAddress.Loopback, 0), AccessLog = requests.Enqueue });
        MirrorConfig.Write(["docker.io", "quay.io"], server.Address, _dir["root"], null);
        var hostsDir = _dir["root/etc/containerd/certs.d"];
        using var containerd = new TestContainerd();

        var busybox = await containerd.CtrAsync("images", "pull", "--hosts-dir", hostsDir, "docker.io/library/busybox:1.36");
        Assert.True(busybox.ExitCode == 0, busybox.Output);
        var virt = await containerd.CtrAsync("images", "pull", "--hosts-dir", hostsDir, "quay.io/kubevirt/virt-operator:v1.3.0");
        Assert.True(virt.ExitCode == 0, virt.Output);
        var arm = await containerd.CtrAsync("content", "fetch", "--hosts-dir", hostsDir, "--platform", "linux/arm64", "docker.io/library/multi:1");
        Assert.True(arm.ExitCode == 0, arm.Output);

        var images = (await containerd.CtrAsync("images", "ls")).Stdout;
        Assert.Contains(_busybox.Digest.ToString(), images);
        Assert.Contains(_operator.Digest.ToString(), images);
        var content = (await containerd.CtrAsync("content", "ls")).Stdout;
        Assert.All(_multi.Children[1].Blobs, blob => Assert.Contains(blob.Digest.ToString(), content));
        Assert.Contains(requests, r => r.Contains("ns=docker.io", StringComparison.Ordinal));
        Assert.Contains(requests, r => r.Contains("ns=quay.io", StringComparison.Ordinal));
    }
}
