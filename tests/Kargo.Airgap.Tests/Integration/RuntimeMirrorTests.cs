using System.Net;
using System.Text;
using Kargo.Airgap.Registry;
using Kargo.Airgap.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;
using static Kargo.Airgap.Tests.Infrastructure.Cli;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>
/// registry-config --for each runtime a Kargo node may run: every file parsed back by its own
/// format's parser, and CRI-O's drop-in used by a real skopeo pulling through serve.
/// </summary>
public sealed class RuntimeMirrorTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly TestImage _operator;

    public RuntimeMirrorTests()
    {
        (_, _operator, _) = TestLayout.WriteUpstreamSet(_dir["node"], "runtime");
    }

    public void Dispose() => _dir.Dispose();

    private static YamlMappingNode Map(YamlNode node, string key) => (YamlMappingNode)((YamlMappingNode)node)[key];

    private static string Scalar(YamlNode node, string key) => ((YamlScalarNode)((YamlMappingNode)node)[key]).Value!;

    [Fact]
    public async Task Crio_gets_a_registries_conf_d_drop_in_that_skopeo_pulls_through_from_serve()
    {
        await using var server = await RegistryServer.StartAsync(await LayoutCatalog.LoadAsync(_dir["node"]), new ServerOptions { Address = new IPEndPoint(IPAddress.Loopback, 0) });
        var result = AssertOk(await OfflineAsync("registry-config", _dir["node"], "--for", "crio", "--endpoint", server.Address.ToString(), "--root", _dir["root"]));
        var dropIn = _dir["root/etc/containers/registries.conf.d/50-kargo-mirrors.conf"];

        var parsed = RegistryMirrors.Load([], dropIn);
        // quay.io itself cannot be reached from here: the manifest can only come through the mirror.
        var inspect = await ProcessRunner.RunAsync("skopeo", ["--registries-conf", dropIn, "inspect", "--raw", "docker://quay.io/kubevirt/virt-operator:v1.3.0"]);

        Assert.Equal([dropIn], result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l["wrote ".Length..]));
        Assert.Equal([$"{server.Address.Authority}/kubevirt/virt-operator:v1.3.0", "quay.io/kubevirt/virt-operator:v1.3.0"],
            parsed.CandidatesFor(Kargo.Airgap.Oci.ImageReference.Parse("quay.io/kubevirt/virt-operator:v1.3.0")).Select(c => c.Reference.ToString()));
        Assert.True(inspect.ExitCode == 0, inspect.Output);
        Assert.Equal(_operator.Manifest, Encoding.UTF8.GetBytes(inspect.Stdout.TrimEnd('\n')));
    }

    [Fact]
    public async Task The_runtime_is_found_under_the_root_and_only_its_files_are_written()
    {
        Directory.CreateDirectory(_dir["microk8s/var/snap/microk8s"]);
        Directory.CreateDirectory(_dir["crio/etc/crio"]);

        AssertOk(await OfflineAsync("registry-config", _dir["node"], "--endpoint", "http://10.0.0.5:5000", "--root", _dir["microk8s"]));
        AssertOk(await OfflineAsync("registry-config", _dir["node"], "--endpoint", "http://10.0.0.5:5000", "--root", _dir["crio"]));

        var toml = Tomlyn.TomlSerializer.Deserialize<Tomlyn.Model.TomlTable>(File.ReadAllText(_dir["microk8s/var/snap/microk8s/current/args/certs.d/quay.io/hosts.toml"]))!;
        Assert.True(((Tomlyn.Model.TomlTable)toml["host"]).ContainsKey("http://10.0.0.5:5000"));
        Assert.False(Directory.Exists(_dir["microk8s/etc"]));
        Assert.True(File.Exists(_dir["crio/etc/containers/registries.conf.d/50-kargo-mirrors.conf"]));
        Assert.False(Directory.Exists(_dir["crio/etc/rancher"]));
    }

    [Fact]
    public async Task Talos_1_12_gets_registry_documents_with_tls_and_auth()
    {
        var pem = "-----BEGIN CERTIFICATE-----\nstand-in\n-----END CERTIFICATE-----\n";
        File.WriteAllText(_dir["ca.pem"], pem);

        var result = AssertOk(await OfflineAsync("registry-config", _dir["node"], "--for", "talos", "--endpoint", "https://10.0.0.5:5000", "--root", _dir["talos"],
            "--ca", _dir["ca.pem"], "--creds", "robot:pa:ss"));

        var file = _dir["talos/talos-registry-mirrors.yaml"];
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(file)));
        var documents = yaml.Documents.Select(d => d.RootNode).ToList();
        Assert.Equal(["RegistryMirrorConfig", "RegistryMirrorConfig", "RegistryTLSConfig", "RegistryAuthConfig"], documents.Select(d => Scalar(d, "kind")));
        Assert.All(documents, d => Assert.Equal("v1alpha1", Scalar(d, "apiVersion")));
        Assert.Equal(["docker.io", "quay.io", "10.0.0.5:5000", "10.0.0.5:5000"], documents.Select(d => Scalar(d, "name")));
        Assert.Equal("https://10.0.0.5:5000", Scalar(((YamlSequenceNode)((YamlMappingNode)documents[1])["endpoints"])[0], "url"));
        Assert.Equal(pem, Scalar(documents[2], "ca"));
        Assert.Equal("pa:ss", Scalar(documents[3], "password"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Contains($"talosctl patch mc --patch @{file}", result.Stdout);
        Assert.DoesNotContain("pa:ss", result.Output);
    }

    [Fact]
    public async Task Talos_before_1_12_gets_a_machine_registries_patch_with_the_ca_in_base64()
    {
        var pem = "-----BEGIN CERTIFICATE-----\nstand-in\n-----END CERTIFICATE-----\n";
        File.WriteAllText(_dir["ca.pem"], pem);

        AssertOk(await OfflineAsync("registry-config", _dir["node"], "--for", "talos", "--talos-version", "1.11", "--endpoint", "https://10.0.0.5:5000", "--root", _dir["talos"],
            "--ca", _dir["ca.pem"], "--insecure-skip-verify"));

        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(_dir["talos/talos-registry-mirrors.yaml"])));
        var registries = Map(Map(yaml.Documents.Single().RootNode, "machine"), "registries");
        Assert.Equal("https://10.0.0.5:5000", ((YamlScalarNode)((YamlSequenceNode)Map(Map(registries, "mirrors"), "quay.io")["endpoints"])[0]).Value);
        var tls = Map(Map(Map(registries, "config"), "10.0.0.5:5000"), "tls");
        Assert.Equal(pem, Encoding.UTF8.GetString(Convert.FromBase64String(Scalar(tls, "ca"))));
        Assert.Equal("true", Scalar(tls, "insecureSkipVerify"));
    }

    [Theory]
    [InlineData("--for", "docker", "is not a runtime kargo writes mirrors for")]
    [InlineData("--talos-version", "one", "is not a release such as 1.11")]
    public async Task A_runtime_kargo_does_not_know_is_named_with_the_choices(string option, string value, string expected)
    {
        var result = await OfflineAsync("registry-config", _dir["node"], "--endpoint", "http://10.0.0.5:5000", "--root", _dir["root"], option, value);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(expected, result.Stderr);
        Assert.False(Directory.Exists(_dir["root"]));
    }

    [Fact]
    public async Task A_talos_credential_with_a_control_character_is_refused_and_nothing_is_written()
    {
        var result = await OfflineAsync("registry-config", _dir["node"], "--for", "talos", "--endpoint", "https://10.0.0.5:5000", "--root", _dir["talos"], "--creds", "robot:pass\nword");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("the password holds a control character", result.Stderr);
        Assert.False(File.Exists(_dir["talos/talos-registry-mirrors.yaml"]));
    }

    [Fact]
    public async Task Credentials_for_a_runtime_that_reads_them_elsewhere_are_refused_with_the_reason()
    {
        var result = await OfflineAsync("registry-config", _dir["node"], "--for", "crio", "--endpoint", "http://10.0.0.5:5000", "--root", _dir["root"], "--creds", "robot:secret");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--creds can be written for k3s and talos only", result.Stderr);
        Assert.DoesNotContain("secret", result.Output);
    }
}
