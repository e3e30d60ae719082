using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Kargo.Airgap.Oci;

namespace Kargo.Airgap.Tests.Infrastructure;

public enum ManifestFormat { Oci, Docker }

public enum LayerCompression { Gzip, Zstd }

/// <summary>A blob with its bytes.</summary>
public sealed record TestBlob(string MediaType, byte[] Content)
{
    public Digest Digest { get; } = Digest.Compute(Content);
    public Descriptor Descriptor => new() { MediaType = MediaType, Digest = Digest, Size = Content.Length };
}

/// <summary>An image manifest (config and layers) or an index of such images, as pushed to a registry.</summary>
public sealed record TestImage(string MediaType, byte[] Manifest, IReadOnlyList<TestBlob> Blobs, IReadOnlyList<TestImage> Children)
{
    public Digest Digest { get; } = Digest.Compute(Manifest);

    /// <summary>Every blob under this image, manifests of children included.</summary>
    public IEnumerable<Digest> AllDigests => Children.SelectMany(c => c.AllDigests).Concat(Blobs.Select(b => b.Digest)).Append(Digest);
}

/// <summary>Builds real, distinct test images: tar layers of random bytes, compressed, with configs.</summary>
public static class TestImages
{
    public static TestBlob Layer(string seed, int size = 64 * 1024, LayerCompression compression = LayerCompression.Gzip, ManifestFormat format = ManifestFormat.Oci)
    {
        var tar = LayerTar(seed, size);
        var mediaType = (format, compression) switch
        {
            (ManifestFormat.Docker, LayerCompression.Gzip) => MediaTypes.DockerLayerGzip,
            (_, LayerCompression.Zstd) => MediaTypes.OciLayerZstd,
            _ => MediaTypes.OciLayerGzip,
        };
        return new TestBlob(mediaType, Compress(tar, compression));
    }

    public static TestImage Image(string seed, ManifestFormat format = ManifestFormat.Oci, string architecture = "amd64", LayerCompression compression = LayerCompression.Gzip,
        int layers = 2, int layerSize = 64 * 1024, TestBlob? sharedLayer = null)
    {
        var layerBlobs = Enumerable.Range(0, layers).Select(i => Layer($"{seed}/{architecture}/{i}", layerSize, compression, format)).ToList();
        if (sharedLayer is not null)
        {
            layerBlobs.Insert(0, sharedLayer);
        }
        var diffIds = new JsonArray([.. layerBlobs.Select(l => (JsonNode)Digest.Compute(Decompress(l)).ToString())]);
        var config = new JsonObject
        {
            ["architecture"] = architecture,
            ["os"] = "linux",
            ["config"] = new JsonObject { ["Env"] = new JsonArray($"SEED={seed}") },
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = diffIds },
        };
        var configBlob = new TestBlob(format == ManifestFormat.Docker ? MediaTypes.DockerConfig : MediaTypes.OciConfig, Encoding.UTF8.GetBytes(config.ToJsonString()));
        var mediaType = format == ManifestFormat.Docker ? MediaTypes.DockerManifest : MediaTypes.OciManifest;
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = mediaType,
            ["config"] = DescriptorJson(configBlob.Descriptor),
            ["layers"] = new JsonArray([.. layerBlobs.Select(l => (JsonNode)DescriptorJson(l.Descriptor))]),
        };
        return new TestImage(mediaType, Encoding.UTF8.GetBytes(manifest.ToJsonString()), [configBlob, .. layerBlobs], []);
    }

    /// <summary>An OCI index or a Docker manifest list of one image per architecture.</summary>
    public static TestImage Index(string seed, ManifestFormat format = ManifestFormat.Oci, params string[] architectures)
    {
        var children = architectures.Select(a => Image(seed, format, a)).ToList();
        var mediaType = format == ManifestFormat.Docker ? MediaTypes.DockerManifestList : MediaTypes.OciIndex;
        var index = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = mediaType,
            ["manifests"] = new JsonArray([.. children.Zip(architectures).Select(pair =>
            {
                var entry = DescriptorJson(new Descriptor { MediaType = pair.First.MediaType, Digest = pair.First.Digest, Size = pair.First.Manifest.Length });
                entry["platform"] = new JsonObject { ["architecture"] = pair.Second, ["os"] = "linux" };
                return (JsonNode)entry;
            })]),
        };
        return new TestImage(mediaType, Encoding.UTF8.GetBytes(index.ToJsonString()), [], children);
    }

    private static JsonObject DescriptorJson(Descriptor d) => new() { ["mediaType"] = d.MediaType, ["digest"] = d.Digest.ToString(), ["size"] = d.Size };

    private static byte[] LayerTar(string seed, int size)
    {
        var random = new Random(BitConverter.ToInt32(SHA256.HashData(Encoding.UTF8.GetBytes(seed + Salt))));
        var data = new byte[size];
        random.NextBytes(data);
        using var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, $"data/{seed.Replace('/', '-')}.bin") { DataStream = new MemoryStream(data) };
            writer.WriteEntry(entry);
        }
        return buffer.ToArray();
    }

    /// <summary>Differs per test run, so no cache anywhere (skopeo's included) can answer for a blob.</summary>
    private static readonly string Salt = Guid.NewGuid().ToString("N");

    private static byte[] Compress(byte[] content, LayerCompression compression)
    {
        if (compression == LayerCompression.Zstd)
        {
            using var compressor = new ZstdSharp.Compressor(3);
            return compressor.Wrap(content).ToArray();
        }
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(content);
        }
        return buffer.ToArray();
    }

    private static byte[] Decompress(TestBlob layer)
    {
        if (layer.MediaType == MediaTypes.OciLayerZstd)
        {
            using var decompressor = new ZstdSharp.Decompressor();
            return decompressor.Unwrap(layer.Content).ToArray();
        }
        using var gzip = new GZipStream(new MemoryStream(layer.Content), CompressionMode.Decompress);
        using var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }
}
