using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Kargo.Airgap.Oci;

namespace Kargo.Airgap.Tests.Infrastructure;

/// <summary>
/// A stand-in for the virt-operator image: one layer holding usr/bin/virt-operator, binary bytes
/// around an embedded manifest of the shape of kubevirt/kubevirt v1.9.0's
/// pkg/virt-operator/resource/generate/components/data/virt-template/install-virt-operator.yaml
/// (its two Deployments' <c>image: quay.io/kubevirt/virt-template-apiserver:v0.2.2</c> and
/// <c>…/virt-template-controller:v0.2.2</c> lines), which virttemplate.go go:embeds and Go stores verbatim.
/// </summary>
public static class VirtOperatorStandIn
{
    /// <summary>The embedded file's image lines, with <paramref name="templateTag"/> as the tag virt-template's release names.</summary>
    public static string EmbeddedYaml(string templateTag) => $"""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: virt-template-apiserver
          namespace: kubevirt
        spec:
          template:
            spec:
              containers:
              - name: apiserver
                image: quay.io/kubevirt/virt-template-apiserver:{templateTag}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: virt-template-controller
          namespace: kubevirt
        spec:
          template:
            spec:
              containers:
              - name: manager
                image: quay.io/kubevirt/virt-template-controller:{templateTag}

        """;

    /// <summary>A binary: random bytes, the embedded file at <paramref name="at"/>, more random bytes (a decoy name without a tag among them).</summary>
    public static byte[] Binary(string templateTag, int size = 3 * 1024 * 1024, int? at = null)
    {
        var embedded = Encoding.ASCII.GetBytes(EmbeddedYaml(templateTag));
        var binary = RandomNumberGenerator.GetBytes(size);
        // Go's other strings name the Deployments without a tag; they are not references.
        "virt-template-apiservervirt-template-controller/virt-template-apiserver"u8.CopyTo(binary.AsSpan(100));
        embedded.CopyTo(binary.AsSpan(at ?? size / 2));
        return binary;
    }

    /// <summary>The image: a config and one gzip layer with usr/bin/virt-operator (and a file beside it).</summary>
    public static TestImage Image(string templateTag, string seed)
    {
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "etc/seed") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(seed + Guid.NewGuid())) });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "usr/bin/virt-operator") { DataStream = new MemoryStream(Binary(templateTag)) });
        }
        using var gz = new MemoryStream();
        using (var gzip = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(tar.ToArray());
        }
        var layer = new TestBlob(MediaTypes.OciLayerGzip, gz.ToArray());
        var config = new JsonObject
        {
            ["architecture"] = "amd64",
            ["os"] = "linux",
            ["config"] = new JsonObject { ["Entrypoint"] = new JsonArray("/usr/bin/virt-operator") },
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(Digest.Compute(tar.ToArray()).ToString()) },
        };
        var configBlob = new TestBlob(MediaTypes.OciConfig, Encoding.UTF8.GetBytes(config.ToJsonString()));
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciManifest,
            ["config"] = Descriptor(configBlob),
            ["layers"] = new JsonArray(Descriptor(layer)),
        };
        return new TestImage(MediaTypes.OciManifest, Encoding.UTF8.GetBytes(manifest.ToJsonString()), [configBlob, layer], []);
    }

    private static JsonObject Descriptor(TestBlob blob) => new() { ["mediaType"] = blob.MediaType, ["digest"] = blob.Digest.ToString(), ["size"] = blob.Content.Length };
}
