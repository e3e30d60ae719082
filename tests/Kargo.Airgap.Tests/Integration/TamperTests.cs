using Kargo.Airgap.Tests.Infrastructure;
using static Kargo.Airgap.Tests.Infrastructure.Cli;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>Every kind of damage gives a clear error naming what failed, and unpack places nothing.</summary>
public sealed class TamperTests(SignedBundleFixture bundles) : IClassFixture<SignedBundleFixture>, IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Unpacked => _dir["unpacked"];

    /// <summary>verify fails mentioning <paramref name="expected"/>, and unpack leaves the destination empty.</summary>
    private async Task AssertRefusedAsync(string bundle, string expected)
    {
        var verify = await OfflineAsync("verify", bundle, "--pub", bundles.Pub);
        Assert.True(verify.ExitCode == 1, verify.Output);
        Assert.Contains(expected, verify.Stdout);
        Assert.Contains("verify: FAILED", verify.Stdout);

        var unpack = await OfflineAsync("unpack", bundle, "--pub", bundles.Pub, "--to", Unpacked);
        Assert.Equal(1, unpack.ExitCode);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Unpacked));
    }

    private static void FlipByte(string file, long offset)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite);
        stream.Position = offset;
        var value = stream.ReadByte();
        stream.Position = offset;
        stream.WriteByte((byte)(value ^ 0x20));
    }

    private static long OffsetOf(string file, byte[] content)
    {
        var bytes = File.ReadAllBytes(file);
        var at = bytes.AsSpan().IndexOf(content.AsSpan(0, 256));
        Assert.True(at >= 0, "content not found in the bundle");
        return at;
    }

    [Fact]
    public async Task A_flipped_byte_in_a_blob_names_the_blob()
    {
        var copy = bundles.CopyOf(bundles.Signed, _dir);
        var layer = bundles.Layered.Blobs[2];
        FlipByte(copy, OffsetOf(copy, layer.Content) + 1000);

        await AssertRefusedAsync(copy, $"oci/blobs/sha256/{layer.Digest.Hex}: sha256 does not match the inventory");
    }

    /// <summary>Bytes outside every entry's content, which a tar reader forgives and GNU tar does not.</summary>
    public static TheoryData<string> FramingBytes => ["checksum", "mtime", "uid", "padding", "end"];

    [Theory]
    [MemberData(nameof(FramingBytes))]
    public async Task A_changed_byte_of_the_tar_framing_is_refused(string where)
    {
        var copy = bundles.CopyOf(bundles.Signed, _dir);
        var (inventory, _) = SigningTests.FirstTwoEntries(copy);
        var afterInventory = 512L + (inventory.Length + 511) / 512 * 512;
        // The signature entry's header: after the inventory's header, content and padding.
        var offset = where switch
        {
            "checksum" => afterInventory + 150,
            "mtime" => afterInventory + 140,
            "uid" => afterInventory + 110,
            "padding" => 512L + inventory.Length + 1,
            _ => new FileInfo(copy).Length - 10,
        };
        Assert.True(where != "padding" || inventory.Length % 512 < 510, "the inventory fills its last block");
        FlipByte(copy, offset);

        var verify = await OfflineAsync("verify", copy, "--pub", bundles.Pub);

        Assert.Equal(1, verify.ExitCode);
        Assert.Matches("tar framing|not zeros|archive is damaged", verify.Stdout);
        var unpack = await OfflineAsync("unpack", copy, "--pub", bundles.Pub, "--to", Unpacked);
        Assert.Equal(1, unpack.ExitCode);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Unpacked));
    }

    [Fact]
    public void A_full_disk_while_placing_is_the_destinations_fault_not_the_bundles()
    {
        var report = Kargo.Airgap.Bundle.BundleVerifier.Verify(bundles.Signed, Kargo.Airgap.Bundle.TrustedKeys.Load([bundles.Pub]), new FullDisk());

        var failure = Assert.Single(report.Failures);
        Assert.Equal("destination", failure.Entry);
        Assert.Contains("No space left on device", failure.Problem);
        Assert.Contains("The bundle is not at fault", failure.Problem);
        Assert.DoesNotContain("damaged", failure.Problem);
    }

    /// <summary>A destination whose every write fails as a full disk does.</summary>
    private sealed class FullDisk : Kargo.Airgap.Bundle.IEntrySink
    {
        public Stream? Open(Kargo.Airgap.Bundle.InventoryEntry entry) => new Full();

        public void Accept(Kargo.Airgap.Bundle.InventoryEntry entry)
        {
        }

        public void Reject(Kargo.Airgap.Bundle.InventoryEntry entry)
        {
        }

        private sealed class Full : MemoryStream
        {
            public override void Write(byte[] buffer, int offset, int count) => throw new IOException("No space left on device");
        }
    }

    [Fact]
    public async Task A_flipped_byte_in_the_inventory_breaks_the_signature()
    {
        var copy = bundles.CopyOf(bundles.Signed, _dir);
        FlipByte(copy, 512 + 40);

        await AssertRefusedAsync(copy, "the signature does not match the inventory");
        var verify = await OfflineAsync("verify", copy, "--pub", bundles.Pub);
        Assert.Contains("signature: DOES NOT MATCH the inventory (altered after signing)", verify.Stdout);
        Assert.DoesNotContain("signature: missing", verify.Stdout);
    }

    [Fact]
    public async Task A_flipped_byte_in_the_signature_is_refused()
    {
        var copy = bundles.CopyOf(bundles.Signed, _dir);
        var (inventory, _) = SigningTests.FirstTwoEntries(copy);
        FlipByte(copy, 512 + ((inventory.Length + 511) / 512 * 512) + 512 + 20);

        await AssertRefusedAsync(copy, "the signature does not match the inventory");
    }

    [Fact]
    public async Task A_truncated_bundle_says_how_much_is_missing()
    {
        var copy = bundles.CopyOf(bundles.Signed, _dir);
        using (var stream = new FileStream(copy, FileMode.Open))
        {
            stream.SetLength(stream.Length - 5000);
        }

        await AssertRefusedAsync(copy, "the bundle is truncated");
    }

    [Fact]
    public async Task An_entry_appended_at_the_end_is_refused()
    {
        var copy = bundles.CopyOf(bundles.Signed, _dir);
        var length = new FileInfo(copy).Length;
        using (var stream = new FileStream(copy, FileMode.Open))
        {
            stream.SetLength(length - 1024); // drop the end-of-archive blocks
            stream.Position = stream.Length;
            using var writer = new System.Formats.Tar.TarWriter(stream, System.Formats.Tar.TarEntryFormat.Ustar, leaveOpen: true);
            writer.WriteEntry(new System.Formats.Tar.UstarTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "files/extra.sh") { DataStream = new MemoryStream("echo hi\n"u8.ToArray()) });
        }

        await AssertRefusedAsync(copy, "follow the end of the bundle");
    }

    [Fact]
    public async Task Damage_is_reported_without_a_key_too()
    {
        var copy = bundles.CopyOf(bundles.Unsigned, _dir);
        var layer = bundles.Docker.Blobs[1];
        FlipByte(copy, OffsetOf(copy, layer.Content) + 10);

        var result = await OfflineAsync("verify", copy, "--insecure-skip-signature", "--json");

        Assert.Equal(1, result.ExitCode);
        using var report = System.Text.Json.JsonDocument.Parse(result.Stdout);
        var failure = Assert.Single(report.RootElement.GetProperty("failures").EnumerateArray());
        Assert.Equal($"oci/blobs/sha256/{layer.Digest.Hex}", failure.GetProperty("entry").GetString());
    }
}
