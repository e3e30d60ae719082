using System.Net;
using System.Security.Cryptography;
using Kargo.Airgap.Bundle;
using Kargo.Airgap.Registry;
using Kargo.Airgap.Sources;
using Kargo.Airgap.Spec;
using Kargo.Airgap.Tests.Infrastructure;
using static Kargo.Airgap.Tests.Infrastructure.Cli;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>spec.vmImages: a real qcow2 carried as a file and as a containerDisk that real clients accept.</summary>
public sealed class VmImageTests : IAsyncLifetime
{
    private readonly Workspace _work = new();
    private TestFileServer _server = null!;
    private byte[] _qcow2 = [];

    public async Task InitializeAsync()
    {
        _server = await TestFileServer.StartAsync();
        await ProcessRunner.CheckedAsync("qemu-img", "create", "-f", "qcow2", _work["disk.qcow2"], "16M");
        _qcow2 = File.ReadAllBytes(_work["disk.qcow2"]);
        _server.Files["ubuntu.qcow2"] = _qcow2;
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _work.Dispose();
    }

    private void WriteSpec(string format, string delivery, string platforms = "[linux/amd64, linux/arm64]") => File.WriteAllText(_work.Spec, $"""
        kind: Bundle
        metadata: {"{"}name: vms, version: "1"{"}"}
        spec:
          platforms: {platforms}
          vmImages:
            - name: ubuntu
              url: {_server.Url("files/ubuntu.qcow2")}
              sha256: {Convert.ToHexStringLower(SHA256.HashData(_qcow2))}
              format: {format}
              delivery: {delivery}
        """);

    [Fact]
    public async Task A_qcow2_goes_in_as_a_file_and_as_a_containerdisk_that_containerd_pulls_and_unpacks()
    {
        WriteSpec("qcow2", "both");

        var build = AssertOk(await _work.BuildAsync());

        Assert.Contains("wrapped ubuntu.qcow2 as containerDisk kargo.local/vm/ubuntu:latest", build.Stderr);
        AssertOk(await OfflineAsync("unpack", _work.Output, "--insecure-skip-signature", "--to", _work["node"]));
        Assert.Equal(_qcow2, File.ReadAllBytes(_work["node/vm/ubuntu.qcow2"]));
        var inventory = BundleReader.ReadSummary(_work.Output).Inventory;
        var image = Assert.Single(inventory.Images);
        Assert.Equal("kargo.local/vm/ubuntu:latest", image.Reference);
        Assert.Equal(["linux/amd64", "linux/arm64"], image.Platforms);
        Assert.Equal("vm", image.Component);

        await using var server = await RegistryServer.StartAsync(await LayoutCatalog.LoadAsync(_work["node"]), new ServerOptions { Address = new IPEndPoint(IPAddress.Loopback, 0) });
        var host = $"127.0.0.1:{server.Address.Port}";

        // skopeo copies it; the layer holds /disk/ubuntu.qcow2, owned by 107:107, byte for byte.
        await ProcessRunner.CheckedAsync("skopeo", "copy", "--src-tls-verify=false", $"docker://{host}/vm/ubuntu:latest", $"dir:{_work["copied"]}");
        var manifest = System.Text.Json.JsonDocument.Parse(File.ReadAllText(_work["copied/manifest.json"]));
        var layer = manifest.RootElement.GetProperty("layers")[0].GetProperty("digest").GetString()!["sha256:".Length..];
        var listing = await ProcessRunner.CheckedAsync("tar", "--numeric-owner", "-tvf", _work[$"copied/{layer}"]);
        Assert.Contains("107/107", listing.Split('\n').Single(l => l.EndsWith("disk/ubuntu.qcow2", StringComparison.Ordinal)));
        Directory.CreateDirectory(_work["extracted"]);
        await ProcessRunner.CheckedAsync("tar", "-xf", _work[$"copied/{layer}"], "-C", _work["extracted"]);
        Assert.Equal(_qcow2, File.ReadAllBytes(_work["extracted/disk/ubuntu.qcow2"]));

        // containerd pulls it through the mirror config this project writes, and unpacks it.
        MirrorConfig.Write((await LayoutCatalog.LoadAsync(_work["node"])).Registries, server.Address, _work["root"], null);
        using var containerd = new TestContainerd();
        var pull = await containerd.CtrAsync("images", "pull", "--hosts-dir", _work["root/etc/containerd/certs.d"], "kargo.local/vm/ubuntu:latest");
        Assert.True(pull.ExitCode == 0, pull.Output);
        var check = await containerd.CtrAsync("images", "check");
        Assert.Contains("kargo.local/vm/ubuntu:latest", check.Stdout);
        Assert.Contains("complete", check.Stdout);
    }

    [Fact]
    public async Task The_containerdisk_is_reproducible()
    {
        WriteSpec("qcow2", "containerDisk");
        AssertOk(await _work.BuildAsync());
        AssertOk(await Cli.BundleAsync("build", _work.Spec, "-o", _work["again.kargo"], "--lock", _work.Lock, "--cache", _work["other-cache"], "--locked"));

        Assert.Equal(File.ReadAllBytes(_work.Output), File.ReadAllBytes(_work["again.kargo"]));
        Assert.DoesNotContain(BundleReader.ReadSummary(_work.Output).Inventory.Entries, e => e.Path.StartsWith("vm/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Bytes_that_are_not_the_declared_format_are_refused()
    {
        WriteSpec("raw", "file", "[linux/amd64]");

        var result = await _work.BuildAsync();

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("VM image 'ubuntu'", result.Stderr);
        Assert.Contains("is declared raw but its bytes are qcow2", result.Stderr);
        Assert.False(File.Exists(_work.Output));
    }

    [Fact]
    public void Formats_are_told_apart_by_their_magic_numbers()
    {
        File.WriteAllBytes(_work["x.qcow2"], _qcow2);
        var iso = new byte[0x8001 + 64];
        "CD001"u8.CopyTo(iso.AsSpan(0x8001));
        File.WriteAllBytes(_work["x.iso"], iso);
        File.WriteAllBytes(_work["x.raw"], new byte[4096]);

        Assert.Equal(DiskFormat.Qcow2, DiskFormats.Detect(_work["x.qcow2"]));
        Assert.Equal(DiskFormat.Iso, DiskFormats.Detect(_work["x.iso"]));
        Assert.Equal(DiskFormat.Raw, DiskFormats.Detect(_work["x.raw"]));
    }
}
