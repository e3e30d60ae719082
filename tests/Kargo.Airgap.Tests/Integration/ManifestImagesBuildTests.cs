using Kargo.Airgap.Bundle;
using Kargo.Airgap.Tests.Infrastructure;
using static Kargo.Airgap.Tests.Infrastructure.Cli;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>
/// A build collects every image a digest-pinned virt-operator starts, in the form KubeVirt used
/// before v1.7 for OLM and HCO builds (VIRT_&lt;NAME&gt;_SHASUM), from the real registry.
/// </summary>
public sealed class ManifestImagesBuildTests : RegistryTest, IAsyncLifetime
{
    private TestFileServer _server = null!;
    private readonly TestImage _operator = TestImages.Image("kv-operator");
    private readonly TestImage _api = TestImages.Image("kv-api");
    private readonly TestImage _launcher = TestImages.Image("kv-launcher");
    private readonly TestImage _controller = TestImages.Image("kv-controller");
    private readonly TestImage _handler = TestImages.Image("kv-handler");

    public async Task InitializeAsync()
    {
        _server = await TestFileServer.StartAsync();
        await Pusher.PushAsync("kubevirt/virt-operator", "v1.3.0", _operator);
        await Pusher.PushAsync("kubevirt/virt-api", "v1.3.0", _api);
        await Pusher.PushAsync("kubevirt/virt-launcher", "v1.3.0", _launcher);
        await Pusher.PushAsync("kubevirt/virt-controller", "v1.3.0", _controller);
        await Pusher.PushAsync("kubevirt/virt-handler", "v1.3.0", _handler);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private string OperatorYaml(string launcherDigest) => $"""
        apiVersion: apps/v1
        kind: Deployment
        metadata: {"{"}name: virt-operator, namespace: kubevirt{"}"}
        spec:
          template:
            spec:
              containers:
              - name: virt-operator
                image: {Registry.Host}/kubevirt/virt-operator@{_operator.Digest}
                env:
                - {"{"}name: OPERATOR_IMAGE, value: "{Registry.Host}/kubevirt/virt-operator@{_operator.Digest}"{"}"}
                - {"{"}name: KUBEVIRT_VERSION, value: v1.2.0{"}"}
                - {"{"}name: VIRT_API_SHASUM, value: "{_api.Digest}"{"}"}
                - {"{"}name: VIRT_CONTROLLER_SHASUM, value: "{_controller.Digest}"{"}"}
                - {"{"}name: VIRT_HANDLER_SHASUM, value: "{_handler.Digest}"{"}"}
                - {"{"}name: VIRT_LAUNCHER_SHASUM, value: "{launcherDigest}"{"}"}
        """;

    private void WriteSpec() => File.WriteAllText(Work.Spec, $"""
        kind: Bundle
        metadata: {"{"}name: kubevirt, version: "1"{"}"}
        spec:
          manifests:
            - {_server.Url("files/kubevirt-operator.yaml")}
        """);

    [Fact]
    public async Task Every_image_the_operator_names_is_bundled_and_pinned()
    {
        _server.Files["kubevirt-operator.yaml"] = System.Text.Encoding.UTF8.GetBytes(OperatorYaml(_launcher.Digest.ToString()));
        WriteSpec();

        AssertOk(await Work.BuildAsync());

        var inventory = BundleReader.ReadSummary(Work.Output).Inventory;
        Assert.Equal(
            [$"{Registry.Host}/kubevirt/virt-api@{_api.Digest}", $"{Registry.Host}/kubevirt/virt-controller@{_controller.Digest}", $"{Registry.Host}/kubevirt/virt-handler@{_handler.Digest}",
                $"{Registry.Host}/kubevirt/virt-launcher@{_launcher.Digest}", $"{Registry.Host}/kubevirt/virt-operator@{_operator.Digest}"],
            inventory.Images.Select(i => i.Reference).Order(StringComparer.Ordinal));
        Assert.All(inventory.Images.Where(i => !i.Reference.Contains("virt-operator", StringComparison.Ordinal)), i => Assert.Equal("kubevirt-shasum", i.FoundBy));
        AssertOk(await Work.BuildAsync("--locked"));
    }

    [Fact]
    public async Task A_missing_image_names_the_manifest_the_container_and_the_variable()
    {
        var absent = "sha256:" + new string('9', 64);
        _server.Files["kubevirt-operator.yaml"] = System.Text.Encoding.UTF8.GetBytes(OperatorYaml(absent));
        WriteSpec();

        var result = await Work.BuildAsync();

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("manifests/kubevirt-operator.yaml: Deployment virt-operator, container virt-operator, variable VIRT_LAUNCHER_SHASUM", result.Stderr);
        Assert.Contains($"kubevirt/virt-launcher@{absent}", result.Stderr);
        Assert.Contains("not found", result.Stderr);
        Assert.False(File.Exists(Work.Output));
    }
}
