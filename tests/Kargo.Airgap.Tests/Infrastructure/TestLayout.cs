using System.Text.Json;
using Kargo.Airgap.Oci;

namespace Kargo.Airgap.Tests.Infrastructure;

/// <summary>Writes test images into an OCI layout under any names, as an unpacked bundle would hold them.</summary>
public static class TestLayout
{
    /// <summary>
    /// A node's unpacked layout with upstream names: a Docker-format image from docker.io, an OCI
    /// image from quay.io and a two-platform index, written under <paramref name="folder"/>/oci.
    /// </summary>
    public static (TestImage Busybox, TestImage Operator, TestImage Multi) WriteUpstreamSet(string folder, string seed)
    {
        var busybox = TestImages.Image($"{seed}-busybox", ManifestFormat.Docker);
        var virtOperator = TestImages.Image($"{seed}-operator");
        var multi = TestImages.Index($"{seed}-multi", ManifestFormat.Oci, "amd64", "arm64");
        Write(Path.Combine(folder, "oci"),
            ("docker.io/library/busybox:1.36", busybox),
            ("quay.io/kubevirt/virt-operator:v1.3.0", virtOperator),
            ("docker.io/library/multi:1", multi));
        return (busybox, virtOperator, multi);
    }

    public static void Write(string folder, params (string RefName, TestImage Image)[] images)
    {
        var layout = new OciLayout(folder).EnsureCreated();
        void Put(TestImage image)
        {
            layout.PutBlob(image.Digest, image.Manifest);
            foreach (var blob in image.Blobs)
            {
                layout.PutBlob(blob.Digest, blob.Content);
            }
            foreach (var child in image.Children)
            {
                Put(child);
            }
        }
        foreach (var (_, image) in images)
        {
            Put(image);
        }
        var index = new OciIndexJson
        {
            Manifests = [.. images.Select(x => new Descriptor
            {
                MediaType = x.Image.MediaType,
                Digest = x.Image.Digest,
                Size = x.Image.Manifest.Length,
                Annotations = new() { ["org.opencontainers.image.ref.name"] = x.RefName, ["io.containerd.image.name"] = x.RefName },
            })],
        };
        File.WriteAllText(layout.IndexPath, JsonSerializer.Serialize(index, new JsonSerializerOptions { WriteIndented = true }));
    }
}
