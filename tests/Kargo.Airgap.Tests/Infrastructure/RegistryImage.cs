using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Kargo.Airgap.Oci;

namespace Kargo.Airgap.Tests.Infrastructure;

/// <summary>
/// A real CNCF distribution registry image made from Debian's docker-registry binary (with the
/// C library it links), as docker.io/library/registry:2 would be in a bundle: the network cannot
/// bring the upstream image here.
/// </summary>
public static class RegistryImage
{
    public const string WorkingConfig = "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /var/lib/registry\nhttp:\n  addr: \":5000\"\n";

    public static TestImage Build(string config = WorkingConfig)
    {
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var folder in new[] { "bin", "lib", "lib/x86_64-linux-gnu", "lib64", "etc", "etc/docker", "etc/docker/registry", "var", "var/lib", "var/lib/registry" })
            {
                writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, folder) { Mode = (UnixFileMode)0b111_101_101 });
            }
            Add(writer, "bin/registry", File.ReadAllBytes("/usr/bin/docker-registry"), 0b111_101_101);
            Add(writer, "lib/x86_64-linux-gnu/libc.so.6", File.ReadAllBytes("/lib/x86_64-linux-gnu/libc.so.6"), 0b111_101_101);
            Add(writer, "lib64/ld-linux-x86-64.so.2", File.ReadAllBytes("/lib64/ld-linux-x86-64.so.2"), 0b111_101_101);
            Add(writer, "etc/docker/registry/config.yml", Encoding.UTF8.GetBytes(config), 0b110_100_100);
        }
        var diffId = Digest.Compute(tar.ToArray());
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(tar.ToArray());
        }
        var layer = new TestBlob(MediaTypes.OciLayerGzip, compressed.ToArray());
        var configBlob = new TestBlob(MediaTypes.OciConfig, Encoding.UTF8.GetBytes(new JsonObject
        {
            ["architecture"] = "amd64",
            ["os"] = "linux",
            ["config"] = new JsonObject { ["Entrypoint"] = new JsonArray("/bin/registry", "serve", "/etc/docker/registry/config.yml") },
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(diffId.ToString()) },
        }.ToJsonString()));
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciManifest,
            ["config"] = new JsonObject { ["mediaType"] = configBlob.MediaType, ["digest"] = configBlob.Digest.ToString(), ["size"] = configBlob.Content.Length },
            ["layers"] = new JsonArray(new JsonObject { ["mediaType"] = layer.MediaType, ["digest"] = layer.Digest.ToString(), ["size"] = layer.Content.Length }),
        };
        return new TestImage(MediaTypes.OciManifest, Encoding.UTF8.GetBytes(manifest.ToJsonString()), [configBlob, layer], []);
    }

    private static void Add(TarWriter writer, string path, byte[] content, int mode) =>
        writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, path) { DataStream = new MemoryStream(content), Mode = (UnixFileMode)mode });
}
