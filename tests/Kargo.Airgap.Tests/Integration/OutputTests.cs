using System.Text.Json;
using Kargo.Airgap.Tests.Infrastructure;
using static Kargo.Airgap.Tests.Infrastructure.Cli;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>What the programs print when not on a terminal: a line per finished phase, --quiet, and --json on every reporting command.</summary>
public sealed class OutputTests : RegistryTest, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await Pusher.PushAsync("out/app", "1", TestImages.Image("output-app"));
        Work.WriteSpec([$"{Registry.Host}/out/app:1"], name: "out", version: "1");
        AssertOk(await Work.LockAsync());
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Piped_output_has_a_line_per_finished_phase_and_quiet_has_none()
    {
        var build = AssertOk(await Work.BuildAsync("--locked"));
        var verify = AssertOk(await OfflineAsync("verify", Work.Output, "--insecure-skip-signature"));
        var quiet = AssertOk(await OfflineAsync("unpack", Work.Output, "--insecure-skip-signature", "--to", Work["node"], "--quiet"));
        var quietBuild = AssertOk(await BundleAsync("build", Work.Spec, "-o", Work["again.kargo"], "--lock", Work.Lock, "--cache", Work.Cache, "--locked", "-q"));

        Assert.Matches(@"(?m)^build: [0-9.]+ (KiB|MiB) in [0-9.]+ s \([0-9.]+ (B|KiB|MiB|GiB)/s\)$", build.Stderr);
        Assert.Matches(@"(?m)^verify: [0-9.]+ (KiB|MiB) in [0-9.]+ s", verify.Stderr);
        Assert.Contains("verify: OK", verify.Stdout);
        Assert.DoesNotMatch(@"(?m)^verify: ", quiet.Stderr);
        Assert.DoesNotContain("unpacked into", quiet.Stderr);
        Assert.Contains("unpack: OK", quiet.Stdout);
        Assert.Equal("", quietBuild.Stderr);
        Assert.StartsWith("wrote ", quietBuild.Stdout);
    }

    [Fact]
    public async Task Build_lock_and_push_report_as_json()
    {
        var locked = AssertOk(await Work.LockAsync("--json"));
        var build = AssertOk(await Work.BuildAsync("--locked", "--json", "-q"));
        AssertOk(await OfflineAsync("unpack", Work.Output, "--insecure-skip-signature", "--to", Work["node"], "-q"));
        using var target = new TestRegistry();
        var push = AssertOk(await OfflineAsync("push", Work["node"], "--registry", target.Host, "--insecure-registry", target.Host, "--json"));

        using var lockJson = JsonDocument.Parse(locked.Stdout);
        var pin = Assert.Single(lockJson.RootElement.EnumerateArray());
        Assert.Equal($"{Registry.Host}/out/app:1", pin.GetProperty("reference").GetString());
        Assert.False(pin.GetProperty("changed").GetBoolean());

        using var buildJson = JsonDocument.Parse(build.Stdout);
        Assert.Equal(Work.Output, buildJson.RootElement.GetProperty("bundle").GetString());
        Assert.Equal(1, buildJson.RootElement.GetProperty("images").GetInt32());
        Assert.Equal(new FileInfo(Work.Output).Length > 0, buildJson.RootElement.GetProperty("bytes").GetInt64() > 0);
        Assert.Equal(JsonValueKind.Null, buildJson.RootElement.GetProperty("signer").ValueKind);
        Assert.Equal("unsigned", buildJson.RootElement.GetProperty("signature").GetString());

        using var pushJson = JsonDocument.Parse(push.Stdout);
        var image = Assert.Single(pushJson.RootElement.GetProperty("images").EnumerateArray());
        Assert.Equal($"{target.Host}/out/app:1", image.GetProperty("target").GetString());
        Assert.Equal(3, image.GetProperty("blobsUploaded").GetInt32()); // config and two layers
    }

    [Fact]
    public async Task Keygen_sign_and_registry_config_report_as_json()
    {
        var keygen = AssertOk(await BundleAsync("keygen", "--out", Work["keys/k"], "--json"));
        AssertOk(await Work.BuildAsync("--locked", "-q"));
        var sign = AssertOk(await BundleAsync("sign", Work.Output, "--key", Work["keys/k.key"], "--json"));
        AssertOk(await OfflineAsync("unpack", Work.Output, "--pub", Work["keys/k.pub"], "--to", Work["node"], "-q"));
        var config = AssertOk(await OfflineAsync("registry-config", Work["node"], "--endpoint", "http://127.0.0.1:5000", "--root", Work["root"], "--json"));

        using var key = JsonDocument.Parse(keygen.Stdout);
        var fingerprint = key.RootElement.GetProperty("fingerprint").GetString();
        Assert.Equal(Work["keys/k.pub"], key.RootElement.GetProperty("publicKey").GetString());
        using var signed = JsonDocument.Parse(sign.Stdout);
        Assert.Equal(fingerprint, signed.RootElement.GetProperty("signer").GetString());
        using var written = JsonDocument.Parse(config.Stdout);
        Assert.Equal([Registry.Host], written.RootElement.GetProperty("registries").EnumerateArray().Select(r => r.GetString()));
        Assert.All(written.RootElement.GetProperty("files").EnumerateArray(), f => Assert.True(File.Exists(f.GetString())));
    }
}
