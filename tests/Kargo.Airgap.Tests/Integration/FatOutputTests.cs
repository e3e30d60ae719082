using Kargo.Airgap.Build;
using Kargo.Airgap.Bundle;
using Kargo.Airgap.Oci;
using Kargo.Airgap.Registry;
using Kargo.Airgap.Sources;
using Kargo.Airgap.Tests.Infrastructure;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>
/// Output to a FAT file system is split below 4 GiB without being asked. This machine's kernel
/// cannot mount vfat, so the builder's file-system probe is told "vfat" for the output folder.
/// </summary>
public sealed class FatOutputTests : RegistryTest
{
    private async Task<(BuildReport Report, List<string> Log)> BuildAsync(string fileSystem)
    {
        await Pusher.PushAsync("fat/app", "1", TestImages.Image("fat"));
        Work.WriteSpec([$"{Registry.Host}/fat/app:1"]);
        using var client = new RegistryClient(new RegistryOptions());
        var cache = new OciLayout(Work.Cache).EnsureCreated();
        var log = new List<string>();
        var builder = new BundleBuilder(new ImageSource(client, cache), cache) { Log = log.Add, FileSystemOf = _ => fileSystem };
        var report = await builder.BuildAsync(new BuildRequest { SpecPath = Work.Spec, Output = Work.Output, LockPath = Work.Lock });
        return (report, log);
    }

    [Fact]
    public async Task On_fat_the_bundle_is_written_in_parts_below_4_GiB_and_says_so()
    {
        var (report, log) = await BuildAsync("vfat");

        Assert.Equal([Work.Output + ".000"], report.Files);
        Assert.Contains(log, l => l.Contains("FAT file system", StringComparison.Ordinal) && l.Contains(PartSize.Fat32Limit.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        Assert.False(File.Exists(Work.Output));
        Assert.True(BundleVerifier.Verify(Work.Output, null).Ok);
    }

    [Fact]
    public async Task Elsewhere_the_bundle_is_one_file()
    {
        var (report, log) = await BuildAsync("ext4");

        Assert.Equal([Work.Output], report.Files);
        Assert.DoesNotContain(log, l => l.Contains("FAT", StringComparison.Ordinal));
    }
}
