using System.Formats.Tar;
using Kargo.Airgap.Bundle;
using Kargo.Airgap.Tests.Infrastructure;

namespace Kargo.Airgap.Tests.Unit;

public sealed class TarHeadersTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private async Task<string> WriteAsync(params BundleItem[] items)
    {
        var path = _dir["t.tar"];
        var inventory = new Inventory { Name = "t", Version = "1", Platforms = [], Source = new("s", "l"), Images = [], Entries = [.. items.Select(i => i.ToEntry())] };
        await BundleWriter.WriteAsync(path, null, inventory, null, items, null, default);
        return path;
    }

    [Fact]
    public async Task Long_paths_use_pax_headers_that_gnu_tar_and_dotnet_read()
    {
        var longPath = "manifests/" + string.Join('/', Enumerable.Repeat("a-rather-long-folder-name", 8)) + "/operator.yaml";
        var content = "kind: Namespace\n"u8.ToArray();
        var path = await WriteAsync(BundleItem.FromBytes(longPath, content), BundleItem.FromBytes("short.txt", [1, 2, 3]));

        var listing = await ProcessRunner.CheckedAsync("tar", "-tvf", path);
        Assert.Contains(longPath, listing);
        Assert.Contains("root/root", listing.Replace("0/0", "root/root", StringComparison.Ordinal));
        Assert.Contains("1970-01-01", listing);

        await using var file = File.OpenRead(path);
        using var reader = new TarReader(file);
        Assert.Equal(Inventory.EntryName, reader.GetNextEntry()!.Name);
        var entry = reader.GetNextEntry()!;
        Assert.Equal(longPath, entry.Name);
        Assert.Equal(content, BuildReadAll(entry));
        Assert.Equal("short.txt", reader.GetNextEntry()!.Name);
        Assert.Null(reader.GetNextEntry());
    }

    [Fact]
    public async Task A_cached_file_that_changed_on_disk_is_refused_and_removed()
    {
        var source = _dir["blob"];
        File.WriteAllBytes(source, [1, 2, 3, 4]);
        var item = BundleItem.FromFile("oci/blobs/sha256/x", source, 4, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(new byte[] { 9, 9, 9, 9 })));

        var error = await Assert.ThrowsAsync<KargoException>(() => WriteAsync(item));

        Assert.Contains("the cache was damaged on disk", error.Message);
        Assert.False(File.Exists(source));
        Assert.False(File.Exists(_dir["t.tar"]));
        Assert.Empty(Directory.GetFiles(_dir.Path, "*.tmp"));
    }

    private static byte[] BuildReadAll(TarEntry entry)
    {
        using var buffer = new MemoryStream();
        entry.DataStream!.CopyTo(buffer);
        return buffer.ToArray();
    }
}
