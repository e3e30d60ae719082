using System.Formats.Tar;
using System.Text;
using System.Text.Json.Nodes;
using Kargo.Airgap.Oci;
using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Sources;

/// <summary>
/// Builds a KubeVirt containerDisk image without Docker: one uncompressed layer holding
/// <c>/disk/NAME.FORMAT</c> owned by uid and gid 107 (qemu in virt-launcher), a config and a
/// manifest for each platform, and an index when there are several. Every byte is fixed by the
/// disk's content (mtime 0, no user names), so the image's digest is reproducible.
/// </summary>
public static class ContainerDisk
{
    public const int QemuUid = 107;
    public const string LayerMediaType = "application/vnd.oci.image.layer.v1.tar";

    /// <param name="cache">Where the layer, configs and manifests go.</param>
    /// <param name="image">The spec entry.</param>
    /// <param name="diskPath">The disk in the cache.</param>
    /// <param name="diskSha256">The disk's sha256, as pinned (it keys the layer built from it).</param>
    /// <param name="platforms">A config and manifest for each.</param>
    /// <param name="cancellationToken">Stops the build.</param>
    public static async Task<ImagePlan> BuildAsync(OciLayout cache, SpecVmImage image, string diskPath, string diskSha256, IReadOnlyList<Platform> platforms, CancellationToken cancellationToken)
    {
        var layer = await LayerAsync(cache, image, diskPath, diskSha256, cancellationToken);
        var manifests = new List<Descriptor>();
        var blobs = new List<Descriptor> { layer };
        foreach (var platform in platforms)
        {
            var config = cache.PutBlob(MediaTypes.OciConfig, ImageConfigJson.Bytes(platform, [layer.Digest]));
            blobs.Add(config);
            var manifest = cache.PutBlob(MediaTypes.OciManifest, ManifestDocument.ManifestBytes(config, [layer]));
            manifests.Add(manifest with { Platform = platform });
        }
        var top = manifests.Count == 1 ? manifests[0] with { Platform = null } : cache.PutBlob(MediaTypes.OciIndex, ManifestDocument.IndexBytes(manifests));
        var all = manifests.Count == 1 ? [top] : manifests.Prepend(top).ToList();
        return new ImagePlan(image.Image.WithDigest(top.Digest), top, platforms, all, blobs.DistinctBy(b => b.Digest).ToList());
    }

    /// <summary>The layer, from the cache when this disk was wrapped before (the cache remembers what it made from which disk).</summary>
    private static async Task<Descriptor> LayerAsync(OciLayout cache, SpecVmImage image, string diskPath, string diskSha256, CancellationToken cancellationToken)
    {
        var madeFrom = $"containerdisk-{diskSha256}-{image.FileName}";
        if (cache.Derived(madeFrom, LayerMediaType) is { } known)
        {
            return known;
        }
        var layer = await cache.PutBlobAsync(LayerMediaType, async (target, token) =>
        {
            await using var tar = new TarWriter(target, TarEntryFormat.Gnu, leaveOpen: true);
            await tar.WriteEntryAsync(Entry(TarEntryType.Directory, "disk/", 0b111_101_101), token);
            await using var disk = File.OpenRead(diskPath);
            var entry = Entry(TarEntryType.RegularFile, $"disk/{image.FileName}", 0b110_100_100);
            entry.DataStream = disk;
            await tar.WriteEntryAsync(entry, token);
        }, cancellationToken);
        cache.RememberDerived(madeFrom, layer.Digest);
        return layer;
    }

    private static GnuTarEntry Entry(TarEntryType type, string name, int mode) => new(type, name)
    {
        Uid = QemuUid,
        Gid = QemuUid,
        Mode = (UnixFileMode)mode,
        ModificationTime = DateTimeOffset.UnixEpoch,
        AccessTime = DateTimeOffset.UnixEpoch,
        ChangeTime = DateTimeOffset.UnixEpoch,
        UserName = "",
        GroupName = "",
    };

    private static Descriptor Put(OciLayout cache, string mediaType, JsonObject json) => cache.PutBlob(mediaType, Encoding.UTF8.GetBytes(json.ToJsonString()));
}
