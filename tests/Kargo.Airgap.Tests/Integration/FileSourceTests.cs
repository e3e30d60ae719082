using System.Security.Cryptography;
using System.Text;
using Kargo.Airgap.Bundle;
using Kargo.Airgap.Spec;
using Kargo.Airgap.Tests.Infrastructure;
using static Kargo.Airgap.Tests.Infrastructure.Cli;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>spec.manifests and spec.files: downloaded, checked, pinned in the lock, carried in the bundle.</summary>
public sealed class FileSourceTests : IAsyncLifetime
{
    private readonly Workspace _work = new();
    private TestFileServer _server = null!;

    private static readonly byte[] Operator = Encoding.UTF8.GetBytes("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: virt-operator}\n");
    private static readonly byte[] Binary = RandomNumberGenerator.GetBytes(300_000);

    public async Task InitializeAsync()
    {
        _server = await TestFileServer.StartAsync();
        _server.Files["kubevirt-operator.yaml"] = Operator;
        _server.Files["virtctl-linux-amd64"] = Binary;
        File.WriteAllText(_work["example-vm.yaml"], "kind: VirtualMachine\n");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _work.Dispose();
    }

    private static string Sha(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    private void WriteSpec(string manifests, string files) => File.WriteAllText(_work.Spec, $"""
        kind: Bundle
        metadata: {"{"}name: platform, version: "1"{"}"}
        spec:
          manifests:
        {manifests}
          files:
        {files}
        """);

    [Fact]
    public async Task Files_are_downloaded_checked_pinned_and_carried_and_a_locked_rebuild_fetches_nothing()
    {
        WriteSpec(
            $"    - url: {_server.Url("files/kubevirt-operator.yaml")}\n      sha256: {Sha(Operator)}\n    - example-vm.yaml",
            $"    - {_server.Url("files/virtctl-linux-amd64")}");

        var build = AssertOk(await _work.BuildAsync());

        Assert.Contains($"downloaded {_server.Url("files/virtctl-linux-amd64")} (sha256 {Sha(Binary)}, 300000 bytes)", build.Stderr);
        var files = LockFile.Load(_work.Lock).Files.ToList();
        Assert.Equal([(_server.Url("files/kubevirt-operator.yaml"), Sha(Operator), (long)Operator.Length), (_server.Url("files/virtctl-linux-amd64"), Sha(Binary), 300_000L)],
            files.Select(f => (f.Url, f.Sha256, f.Size)));
        var unpacked = _work["node"];
        AssertOk(await OfflineAsync("unpack", _work.Output, "--insecure-skip-signature", "--to", unpacked));
        Assert.Equal(Operator, File.ReadAllBytes(Path.Combine(unpacked, "manifests", "kubevirt-operator.yaml")));
        Assert.Equal(Binary, File.ReadAllBytes(Path.Combine(unpacked, "files", "virtctl-linux-amd64")));
        Assert.Equal("kind: VirtualMachine\n", File.ReadAllText(Path.Combine(unpacked, "manifests", "example-vm.yaml")));

        var requests = _server.RequestsFor("virtctl-linux-amd64");
        var first = File.ReadAllBytes(_work.Output);
        AssertOk(await _work.BuildAsync("--locked"));
        Assert.Equal(requests, _server.RequestsFor("virtctl-linux-amd64"));
        Assert.Equal(first, File.ReadAllBytes(_work.Output));

        // The same lock and a fresh cache: the files are fetched again, byte for byte.
        AssertOk(await Cli.BundleAsync("build", _work.Spec, "-o", _work["fresh.kargo"], "--lock", _work.Lock, "--cache", _work["fresh-cache"], "--locked"));
        Assert.Equal(first, File.ReadAllBytes(_work["fresh.kargo"]));
    }

    [Fact]
    public async Task A_checksum_mismatch_is_refused_and_nothing_is_kept()
    {
        WriteSpec($"    - url: {_server.Url("files/kubevirt-operator.yaml")}\n      sha256: {new string('0', 64)}", "    []");
        File.WriteAllText(_work.Spec, File.ReadAllText(_work.Spec).Replace("  files:\n    []\n", "", StringComparison.Ordinal));

        var result = await _work.BuildAsync();

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"{_work.Spec}:5: {_server.Url("files/kubevirt-operator.yaml")}: checksum mismatch", result.Stderr);
        Assert.False(File.Exists(_work.Output));
        Assert.False(File.Exists(_work.Lock));
        Assert.Empty(Directory.GetFiles(_work["cache/blobs/sha256"]));
        Assert.Empty(Directory.GetFiles(_work["cache/ingest"]));
    }

    [Fact]
    public async Task A_first_download_cut_off_midway_resumes_with_a_range_request()
    {
        using var proxy = new ThrottlingProxy($"127.0.0.1:{_server.Port}", dropOnceAfterBytes: 100_000);
        WriteSpec("    []", $"    - http://{proxy.Host}/files/virtctl-linux-amd64");

        var result = AssertOk(await _work.BuildAsync());

        Assert.Contains($"(sha256 {Sha(Binary)}, 300000 bytes)", result.Stderr);
        Assert.Equal(1, _server.Requests.GetValueOrDefault("range:/files/virtctl-linux-amd64"));
        Assert.Equal(Binary, File.ReadAllBytes(_work[$"cache/blobs/sha256/{Sha(Binary)}"]));
    }

    [Fact]
    public async Task A_missing_file_is_a_clear_404()
    {
        WriteSpec("    []", $"    - {_server.Url("files/k3s-v9.9.9")}");

        var result = await _work.BuildAsync();

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"cannot download {_server.Url("files/k3s-v9.9.9")}: the server answered 404", result.Stderr);
        Assert.Contains("check the URL and the version", result.Stderr);
        Assert.False(File.Exists(_work.Output));
    }

    [Fact]
    public async Task A_redirect_to_another_host_is_followed_and_said()
    {
        WriteSpec("    []", $"    - url: {_server.Url("moved/virtctl-linux-amd64")}\n      name: virtctl");

        var result = AssertOk(await _work.BuildAsync());

        Assert.Contains($"redirected to http://localhost:{_server.Port}", result.Stderr);
        Assert.Contains(BundleReader.ReadSummary(_work.Output).Inventory.Entries, e => e.Path == "files/virtctl" && e.Sha256 == Sha(Binary));
    }

    [Fact]
    public async Task A_locked_build_never_fetches_an_unpinned_url_and_refuses_changed_content()
    {
        WriteSpec("    []", $"    - {_server.Url("files/virtctl-linux-amd64")}");
        File.WriteAllText(_work.Lock, "{\"lockVersion\": 1, \"images\": []}");
        var unpinned = await _work.BuildAsync("--locked");
        Assert.Equal(1, unpinned.ExitCode);
        Assert.Contains($"does not pin 1 of what the spec needs:\n  {_server.Url("files/virtctl-linux-amd64")} ({_work.Spec}:7)\n", unpinned.Stderr);
        Assert.Equal(0, _server.RequestsFor("virtctl-linux-amd64"));

        AssertOk(await _work.LockAsync());
        _server.Files["virtctl-linux-amd64"] = RandomNumberGenerator.GetBytes(300_000);
        var changed = await Cli.BundleAsync("build", _work.Spec, "-o", _work.Output, "--lock", _work.Lock, "--cache", _work["other-cache"], "--locked");

        Assert.Equal(1, changed.ExitCode);
        Assert.Contains($"checksum mismatch: the lock pins sha256 {Sha(Binary)}", changed.Stderr);
        Assert.False(File.Exists(_work.Output));
    }

    [Theory]
    [InlineData("files:\n    - ./local.bin", "is not an http(s) URL")]
    [InlineData("files:\n    - url: https://example.com/a\n      sha256: abc", "sha256 'abc' is not 64 hex digits")]
    [InlineData("files:\n    - https://example.com/x/k3s\n    - https://example.com/y/K3S", "has 'k3s' already at line 5")]
    [InlineData("files:\n    - url: https://example.com/a\n      path: b", "needs exactly one of url or path")]
    [InlineData("manifests:\n    - https://example.com/", "cannot name a bundle entry")]
    public void Spec_mistakes_in_files_are_named_at_their_line(string section, string why)
    {
        var yaml = $"metadata: {{name: demo, version: \"1\"}}\nspec:\n  images: []\n  {section}\n";

        var error = Assert.Throws<SpecException>(() => SpecLoader.Parse(yaml, "spec.yaml"));

        Assert.Contains(why, error.Message);
        Assert.StartsWith("spec.yaml:", error.Message);
    }
}
