using Kargo.Airgap.Bundle;
using Kargo.Airgap.Tests.Infrastructure;
using static Kargo.Airgap.Tests.Infrastructure.Cli;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>Bundles in parts: found from any name, each part checked, a bad part named.</summary>
public sealed class PartsTests(SignedBundleFixture bundles) : IClassFixture<SignedBundleFixture>, IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string[] Parts(string baseName) => [.. Directory.GetFiles(Path.GetDirectoryName(baseName)!, Path.GetFileName(baseName) + ".*").Order()];

    [Fact]
    public void Parts_are_at_most_the_split_size_and_join_to_the_single_file()
    {
        var parts = Parts(bundles.Parted);
        Assert.True(parts.Length >= 3, $"expected several parts, got {parts.Length}");
        Assert.Equal(parts.Select((_, i) => $"{bundles.Parted}.{i:D3}"), parts);
        Assert.All(parts[..^1], p => Assert.Equal(SignedBundleFixture.PartSize, new FileInfo(p).Length));
        Assert.InRange(new FileInfo(parts[^1]).Length, 1, SignedBundleFixture.PartSize);
        Assert.False(File.Exists(bundles.Parted));

        var joined = parts.SelectMany(File.ReadAllBytes).ToArray();
        var (inventory, _) = SigningTests.FirstTwoEntries(bundles.Signed);
        Assert.Equal(inventory, joined.AsSpan(512, inventory.Length).ToArray());
    }

    [Theory]
    [InlineData("")]
    [InlineData(".000")]
    [InlineData(".002")]
    public async Task Any_name_of_the_bundle_finds_every_part(string suffix)
    {
        var result = AssertOk(await OfflineAsync("verify", bundles.Parted + suffix, "--pub", bundles.Pub));
        Assert.Contains("verify: OK", result.Stdout);
        var inspect = AssertOk(await BundleAsync("inspect", bundles.Parted + suffix));
        Assert.Contains("name:      signed-test", inspect.Stdout);
        Assert.Contains("signed by sha256:", inspect.Stdout);
    }

    [Fact]
    public async Task A_missing_part_is_named()
    {
        var copy = bundles.CopyOf(bundles.Parted, _dir);
        var parts = Parts(copy);
        File.Delete(parts[^1]);

        var result = await OfflineAsync("verify", copy, "--pub", bundles.Pub);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"missing: {Path.GetFileName(parts[^1])}", result.Stdout);
    }

    [Fact]
    public async Task A_missing_middle_part_is_the_only_one_named()
    {
        var copy = bundles.CopyOf(bundles.Parted, _dir);
        var parts = Parts(copy);
        Assert.True(parts.Length >= 3, $"the fixture has {parts.Length} parts");
        File.Delete(parts[1]);

        var result = await OfflineAsync("verify", copy, "--pub", bundles.Pub);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"missing: {Path.GetFileName(parts[1])}\n", result.Stdout);
    }

    [Fact]
    public async Task A_truncated_part_is_named()
    {
        var copy = bundles.CopyOf(bundles.Parted, _dir);
        var parts = Parts(copy);
        using (var stream = new FileStream(parts[1], FileMode.Open))
        {
            stream.SetLength(stream.Length - 100);
        }

        var result = await OfflineAsync("verify", copy, "--pub", bundles.Pub);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"part {Path.GetFileName(parts[1])} is truncated", result.Stdout);
    }

    [Fact]
    public async Task Swapped_parts_are_named_and_nothing_is_unpacked()
    {
        var copy = bundles.CopyOf(bundles.Parted, _dir);
        var parts = Parts(copy);
        File.Move(parts[1], copy + ".tmp");
        File.Move(parts[2], parts[1]);
        File.Move(copy + ".tmp", parts[2]);

        var result = await OfflineAsync("unpack", copy, "--pub", bundles.Pub, "--to", _dir["out"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Matches($@"{Path.GetFileName(parts[1])}|{Path.GetFileName(parts[2])}", result.Stdout);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir["out"]));
    }

    [Fact]
    public async Task A_part_from_another_build_is_caught()
    {
        var copy = bundles.CopyOf(bundles.Parted, _dir);
        var parts = Parts(copy);
        var foreign = new byte[new FileInfo(parts[1]).Length];
        new Random(7).NextBytes(foreign);
        File.WriteAllBytes(parts[1], foreign);

        var result = await OfflineAsync("verify", copy, "--pub", bundles.Pub);

        Assert.Equal(1, result.ExitCode);
        Assert.True(result.Stdout.Contains(Path.GetFileName(parts[1]), StringComparison.Ordinal), result.Output);
    }

    [Fact]
    public void Split_sizes_parse_with_binary_units_and_refuse_nonsense()
    {
        Assert.Equal(4000L << 20, PartSize.Parse("4000M"));
        Assert.Equal((long)(3.9 * (1L << 30)), PartSize.Parse("3.9G"));
        Assert.Equal(100L << 10, PartSize.Parse("100K"));
        Assert.Contains("not a size", Assert.Throws<KargoException>(() => PartSize.Parse("four gigs")).Message);
        Assert.Contains("at least", Assert.Throws<KargoException>(() => PartSize.Parse("10K")).Message);
        Assert.True(PartSize.IsFat("vfat"));
        Assert.False(PartSize.IsFat("ext4"));
        Assert.Equal("proc", PartSize.FileSystemOf("/proc/self"));
    }
}
