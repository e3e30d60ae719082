using Kargo.Airgap.Bundle;
using Kargo.Airgap.Tests.Infrastructure;
using static Kargo.Airgap.Tests.Infrastructure.Cli;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>
/// The published kargo-offline on a machine path with no .NET: it runs, verifies, and travels in
/// the bundle with an install.sh that checks it before running it.
/// </summary>
public sealed class PublishedBinaryTests(PublishedOffline published) : RegistryTest, IClassFixture<PublishedOffline>
{
    private async Task<string> BuildWithBinaryAsync()
    {
        await Pusher.PushAsync("tools/app", "1", TestImages.Image("published-app"));
        Work.WriteSpec([$"{Registry.Host}/tools/app:1"], name: "tools", version: "2");
        Directory.CreateDirectory(Work["keys"]);
        SigningKey.Generate(Work["keys/builder"], null);
        var build = AssertOk(await Work.BuildAsync("--key", Work["keys/builder.key"], "--offline-bin", published.Folder));
        Assert.Contains("carrying kargo-offline for bin/linux-amd64/kargo-offline", build.Stderr);
        return Work["install-tools-2.sh"];
    }

    [Fact]
    public async Task The_published_binary_runs_version_and_verify_without_dotnet()
    {
        await BuildWithBinaryAsync();
        Assert.NotEqual(0, (await published.RunBareAsync("sh", "-c", "command -v dotnet")).ExitCode);

        var version = await published.RunBareAsync(published.Binary, "--version");
        var verify = await published.RunBareAsync(published.Binary, "verify", Work.Output, "--pub", Work["keys/builder.pub"]);

        Assert.True(version.ExitCode == 0, version.Output);
        Assert.StartsWith("0.1.0", version.Stdout);
        Assert.True(verify.ExitCode == 0, verify.Output);
        Assert.Contains("verify: OK", verify.Stdout);
    }

    [Fact]
    public async Task Install_sh_checks_the_signature_and_the_binary_then_installs_with_it()
    {
        var script = await BuildWithBinaryAsync();
        var inventory = BundleReader.ReadSummary(Work.Output).Inventory;
        Assert.Equal("bin/linux-amd64/kargo-offline", inventory.Entries[0].Path);

        var result = await published.RunBareAsync("sh", script, "--pub", Work["keys/builder.pub"], "--root", Work["node"]);

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains($"signature verified with {Work["keys/builder.pub"]}", result.Stderr);
        Assert.Contains("installed tools 2", result.Stdout);
        Assert.True(File.Exists(Work["node/var/lib/kargo/registry/oci/index.json"]));
        // The registry service runs the installed copy of the binary, not the one in a temp folder.
        Assert.Equal(File.ReadAllBytes(published.Binary), File.ReadAllBytes(Work["node/usr/local/bin/kargo-offline"]));
        Assert.Contains("ExecStart=/usr/local/bin/kargo-offline serve /var/lib/kargo/registry", File.ReadAllText(Work["node/etc/systemd/system/kargo-registry.service"]));
    }

    [Fact]
    public async Task Install_sh_runs_nothing_when_the_carried_binary_was_altered_under_a_good_signature()
    {
        var script = await BuildWithBinaryAsync();
        var (inventory, signature) = SigningTests.FirstTwoEntries(Work.Output);
        var binaryAt = 512 + Padded(inventory.Length) + 512 + Padded(signature.Length) + 512;
        var binary = File.ReadAllBytes(published.Binary);
        using (var bundle = File.Open(Work.Output, FileMode.Open, FileAccess.ReadWrite))
        {
            var original = new byte[64];
            bundle.Position = binaryAt + 4096;
            bundle.ReadExactly(original);
            Assert.Equal(binary.AsSpan(4096, 64).ToArray(), original);
            bundle.Position = binaryAt + 4096;
            bundle.WriteByte((byte)(original[0] ^ 0x01));
        }

        var result = await published.RunBareAsync("sh", script, "--pub", Work["keys/builder.pub"], "--root", Work["node"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("signature verified with", result.Stderr);
        Assert.Contains($"but the bundle was built with {Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(binary))}: nothing was run", result.Stderr);
        Assert.False(Directory.Exists(Work["node"]));
    }

    [Fact]
    public async Task Install_sh_runs_nothing_when_the_signature_is_not_the_trusted_keys()
    {
        var script = await BuildWithBinaryAsync();
        SigningKey.Generate(Work["keys/other"], null);

        var result = await published.RunBareAsync("sh", script, "--pub", Work["keys/other.pub"], "--root", Work["node"]);
        var missing = await published.RunBareAsync("sh", script, "--root", Work["node"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("does not verify with", result.Stderr);
        Assert.False(Directory.Exists(Work["node"]));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("--pub KEY.pub", missing.Stderr);
    }

    private static int Padded(int size) => (size + 511) / 512 * 512;
}
