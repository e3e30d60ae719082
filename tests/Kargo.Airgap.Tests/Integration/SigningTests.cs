using System.Text.Json;
using Kargo.Airgap.Bundle;
using Kargo.Airgap.Tests.Infrastructure;
using static Kargo.Airgap.Tests.Infrastructure.Cli;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>keygen, build --key, sign, verify: what a signature proves, checked by us and by openssl.</summary>
public sealed class SigningTests(SignedBundleFixture bundles) : IClassFixture<SignedBundleFixture>, IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Keygen_writes_a_private_key_only_its_owner_reads_and_refuses_to_overwrite()
    {
        var prefix = _dir["team"];
        var result = AssertOk(await BundleAsync("keygen", "--out", prefix));

        Assert.Contains("fingerprint: sha256:", result.Stdout);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(prefix + ".key"));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(prefix + ".key"));
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----", File.ReadAllText(prefix + ".pub"));
        var keyBefore = File.ReadAllBytes(prefix + ".key");

        var again = await BundleAsync("keygen", "--out", prefix);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("never overwrites", again.Stderr);
        Assert.Equal(keyBefore, File.ReadAllBytes(prefix + ".key"));
    }

    [Fact]
    public async Task Keygen_makes_the_folder_of_its_prefix_and_an_unwritable_place_is_a_clear_error()
    {
        AssertOk(await BundleAsync("keygen", "--out", _dir["keys/new/builder"]));
        Assert.True(File.Exists(_dir["keys/new/builder.pub"]));

        File.WriteAllText(_dir["a-file"], "");
        var result = await BundleAsync("keygen", "--out", _dir["a-file/builder"]);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: ", result.Stderr);
        Assert.Contains("a-file", result.Stderr);
    }

    [Fact]
    public void An_encrypted_key_needs_its_passphrase()
    {
        var (privatePath, _, fingerprint) = SigningKey.Generate(_dir["locked"], "correct horse");
        Assert.StartsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----", File.ReadAllText(privatePath));

        Assert.Contains(SigningKey.PasswordVariable, Assert.Throws<KargoException>(() => SigningKey.Load(privatePath, null)).Message);
        Assert.Contains("passphrase is wrong", Assert.Throws<KargoException>(() => SigningKey.Load(privatePath, "battery staple")).Message);
        using var key = SigningKey.Load(privatePath, "correct horse");
        Assert.Equal(fingerprint, key.Fingerprint);
    }

    [Fact]
    public async Task A_signed_bundle_verifies_and_inspect_names_the_signer()
    {
        var verify = AssertOk(await OfflineAsync("verify", bundles.Signed, "--pub", bundles.Pub));
        Assert.Contains("signature: verified, signed by sha256:", verify.Stdout);
        Assert.Contains("verify: OK", verify.Stdout);

        var json = AssertOk(await OfflineAsync("verify", bundles.Signed, "--pub", bundles.OtherPub, "--pub", bundles.Pub, "--json"));
        using var report = JsonDocument.Parse(json.Stdout);
        Assert.True(report.RootElement.GetProperty("ok").GetBoolean());
        Assert.Equal("verified", report.RootElement.GetProperty("signature").GetString());

        var inspect = AssertOk(await BundleAsync("inspect", bundles.Signed, "--json"));
        using var summary = JsonDocument.Parse(inspect.Stdout);
        Assert.Equal("signed", summary.RootElement.GetProperty("signature").GetString());
        Assert.Equal(report.RootElement.GetProperty("signer").GetString(), summary.RootElement.GetProperty("signer").GetString());
    }

    [Fact]
    public async Task Openssl_verifies_the_signature_over_the_inventory_bytes_and_rejects_a_flipped_byte()
    {
        var (inventory, signature) = FirstTwoEntries(bundles.Signed);
        File.WriteAllBytes(_dir["inventory.json"], inventory);
        File.WriteAllBytes(_dir["sig.der"], Convert.FromBase64String(System.Text.Encoding.ASCII.GetString(signature)));

        var good = await ProcessRunner.RunAsync("openssl", ["dgst", "-sha256", "-verify", bundles.Pub, "-signature", _dir["sig.der"], _dir["inventory.json"]]);
        Assert.True(good.ExitCode == 0, good.Output);
        Assert.Contains("Verified OK", good.Stdout);

        inventory[inventory.Length / 2] ^= 0x01;
        File.WriteAllBytes(_dir["inventory.json"], inventory);
        var bad = await ProcessRunner.RunAsync("openssl", ["dgst", "-sha256", "-verify", bundles.Pub, "-signature", _dir["sig.der"], _dir["inventory.json"]]);
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("Verification failure", bad.Output);
    }

    [Fact]
    public async Task Signing_an_unsigned_bundle_gives_the_bytes_of_building_it_signed_but_for_the_signature()
    {
        var copy = bundles.CopyOf(bundles.Unsigned, _dir);
        var unsigned = await OfflineAsync("verify", copy, "--pub", bundles.Pub);
        Assert.Equal(1, unsigned.ExitCode);
        Assert.Contains("the bundle is unsigned", unsigned.Stdout);

        AssertOk(await BundleAsync("sign", copy, "--key", bundles.Key));

        // ECDSA signatures are randomised: the inventory and every byte after the signature are equal.
        var (builtInventory, builtSignature) = FirstTwoEntries(bundles.Signed);
        var (signedInventory, signedSignature) = FirstTwoEntries(copy);
        Assert.Equal(builtInventory, signedInventory);
        var built = File.ReadAllBytes(bundles.Signed);
        var signed = File.ReadAllBytes(copy);
        var builtRest = 512 + Padded(builtInventory.Length) + 512 + Padded(builtSignature.Length);
        var signedRest = 512 + Padded(signedInventory.Length) + 512 + Padded(signedSignature.Length);
        Assert.True(built.AsSpan(builtRest).SequenceEqual(signed.AsSpan(signedRest)));
        AssertOk(await OfflineAsync("verify", copy, "--pub", bundles.Pub));
    }

    [Fact]
    public async Task A_sign_cancelled_while_copying_leaves_the_bundle_as_it_was_and_no_temporary_files()
    {
        var copy = bundles.CopyOf(bundles.Unsigned, _dir);
        var before = File.ReadAllBytes(copy);
        var inventory = FirstEntry(copy);
        using var key = SigningKey.Load(bundles.Key, null);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            BundleSigner.RewriteAsync(BundleFiles.Locate(copy), 512 + Padded(inventory.Length), inventory, key, cancelled.Token));

        Assert.Equal(before, File.ReadAllBytes(copy));
        Assert.Equal([copy], Directory.GetFiles(Path.GetDirectoryName(copy)!));
    }

    [Fact]
    public async Task Skipping_the_signature_is_possible_but_said_loudly()
    {
        var result = AssertOk(await OfflineAsync("verify", bundles.Unsigned, "--insecure-skip-signature"));
        Assert.Contains("WARNING: --insecure-skip-signature", result.Stderr);
        Assert.Contains("NOT CHECKED", result.Stdout);

        var noKey = await OfflineAsync("verify", bundles.Unsigned);
        Assert.Equal(2, noKey.ExitCode);
        Assert.Contains("--pub KEY.pub is required", noKey.Stderr);
    }

    [Fact]
    public async Task A_bundle_signed_by_another_key_is_refused_naming_that_key()
    {
        var result = await OfflineAsync("verify", bundles.Signed, "--pub", bundles.OtherPub);
        var json = await OfflineAsync("verify", bundles.Signed, "--pub", bundles.OtherPub, "--json");

        Assert.Equal(1, result.ExitCode);
        var signer = Kargo.Airgap.Bundle.BundleReader.ReadSummary(bundles.Signed).Inventory.Signer!;
        Assert.Contains($"signature: signed by an UNTRUSTED key ({signer})", result.Stdout);
        Assert.Contains("if you trust it, pass its public key with --pub", result.Stdout);
        Assert.DoesNotContain("missing", result.Stdout);
        Assert.Contains("\"signature\": \"untrusted-key\"", json.Stdout);
    }

    private static int Padded(int size) => (size + 511) / 512 * 512;

    private static byte[] FirstEntry(string bundle)
    {
        using var file = File.OpenRead(bundle);
        using var tar = new System.Formats.Tar.TarReader(file);
        return BuildTests.ReadAll(tar.GetNextEntry()!.DataStream!);
    }

    internal static (byte[] Inventory, byte[] Signature) FirstTwoEntries(string bundle)
    {
        using var file = File.OpenRead(bundle);
        using var tar = new System.Formats.Tar.TarReader(file);
        return (BuildTests.ReadAll(tar.GetNextEntry()!.DataStream!), BuildTests.ReadAll(tar.GetNextEntry()!.DataStream!));
    }
}
