using System.Formats.Tar;
using System.IO.Compression;
using Kargo.Airgap.Oci;

namespace Kargo.Airgap.Sources;

/// <summary>
/// Reads one file of an image's file system without unpacking it: the layers are streamed from
/// the cache (fetched into it first, each checked by digest, so the build that bundles the image
/// fetches nothing twice), newest first, because a later layer's copy or whiteout wins.
/// </summary>
public static class ImageFiles
{
    /// <summary>
    /// Streams <paramref name="path"/> of the image (for <paramref name="platform"/> when it is an
    /// index) to <paramref name="read"/>; false when no layer has it or a later layer deleted it.
    /// </summary>
    public static async Task<bool> ReadAsync(IImageSource source, OciLayout cache, ImageReference image, Descriptor top, Platform platform, string path, Func<Stream, Task> read, CancellationToken cancellationToken)
    {
        var chosen = false;
        var graph = await ImageWalker.WalkAsync(source, image, top, child => !chosen && child.Platform is { } p && platform.Matches(p) && (chosen = true), cancellationToken);
        var manifest = graph.Images.FirstOrDefault()
            ?? throw new KargoException($"{image}: the image has no manifest for {platform}, so its {path} cannot be read");
        path = path.TrimStart('/');
        foreach (var layer in manifest.Document.Layers.Reverse())
        {
            await cache.PutBlobAsync(source, image, layer, null, cancellationToken);
            using var blob = await cache.OpenBlobAsync(image, layer, 0, cancellationToken);
            await using var tar = new TarReader(Decompressed(blob.Content, layer, image), leaveOpen: false);
            var (found, content) = await FindAsync(tar, path, cancellationToken);
            if (found == Found.File)
            {
                await read(content!);
                return true;
            }
            if (found == Found.Deleted)
            {
                return false;
            }
        }
        return false;
    }

    private enum Found { Nothing, File, Deleted }

    /// <summary>Walks a layer's entries to the file, or to a whiteout that hides it (.wh.NAME, or .wh..wh..opq in a folder above it).</summary>
    private static async Task<(Found, Stream?)> FindAsync(TarReader tar, string path, CancellationToken cancellationToken)
    {
        // A whiteout of the file or of any folder above it (.wh.usr hides usr/bin/virt-operator) deletes it.
        var parts = path.Split('/');
        var whiteouts = Enumerable.Range(0, parts.Length).Select(i => string.Join('/', parts[..i].Append(".wh." + parts[i]))).ToHashSet(StringComparer.Ordinal);
        var opaqueHidden = false;
        while (await tar.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
        {
            var name = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name.TrimStart('/');
            if (name == path)
            {
                // The newest layer's entry decides: a link or anything but a file there is not a binary to read.
                return entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile
                    ? (Found.File, entry.DataStream ?? Stream.Null)
                    : throw new KargoException($"{path} is a {entry.EntryType} in the image's newest layer holding it, not a file: this kargo reads the operator's binary only as a regular file");
            }
            if (whiteouts.Contains(name))
            {
                return (Found.Deleted, null);
            }
            // An opaque folder hides what lower layers put in it; this layer's own copy still counts, so decide at the end.
            opaqueHidden |= name.EndsWith("/.wh..wh..opq", StringComparison.Ordinal) && (path + "/").StartsWith(name[..^".wh..wh..opq".Length], StringComparison.Ordinal);
        }
        return (opaqueHidden ? Found.Deleted : Found.Nothing, null);
    }

    private static Stream Decompressed(Stream blob, Descriptor layer, ImageReference image)
    {
        var type = layer.MediaType;
        if (type.EndsWith("gzip", StringComparison.Ordinal))
        {
            return new GZipStream(blob, CompressionMode.Decompress);
        }
        if (type.EndsWith("zstd", StringComparison.Ordinal))
        {
            return new ZstdSharp.DecompressionStream(blob);
        }
        if (type.EndsWith(".tar", StringComparison.Ordinal))
        {
            return blob;
        }
        throw new KargoException($"{image}: layer {layer.Digest} is {type}, which this kargo cannot read (it reads tar, tar+gzip and tar+zstd layers)");
    }
}
