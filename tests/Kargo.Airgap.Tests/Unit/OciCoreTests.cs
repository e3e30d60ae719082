using System.Text;
using Kargo.Airgap.Oci;

namespace Kargo.Airgap.Tests.Unit;

public sealed class OciCoreTests
{
    [Fact]
    public void A_digest_has_the_length_of_its_algorithm()
    {
        Assert.False(Digest.TryParse("sha256:" + new string('a', 128), out _));
        Assert.False(Digest.TryParse("sha512:" + new string('a', 64), out _));
        Assert.True(Digest.TryParse("sha256:" + new string('a', 64), out var sha256));
        Assert.Equal("sha256", sha256.Algorithm);
        Assert.Equal("sha512", Digest.Parse("sha512:" + new string('b', 128)).Algorithm);
    }

    [Fact]
    public void Digest_computes_and_round_trips()
    {
        var digest = Digest.Compute(Encoding.ASCII.GetBytes("abc"));
        Assert.Equal("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", digest.ToString());
        Assert.Equal(digest, Digest.Parse(digest.ToString()));
    }

    [Theory]
    [InlineData("sha256:../../etc/passwd")]
    [InlineData("sha256:ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789")]
    [InlineData("md5:d41d8cd98f00b204e9800998ecf8427e")]
    [InlineData("sha256:abc")]
    public void Digest_rejects_anything_unsafe_for_a_path(string text)
    {
        Assert.False(Digest.TryParse(text, out _));
        Assert.Throws<KargoException>(() => Digest.Parse(text));
    }

    [Fact]
    public void Only_sha256_content_is_stored()
    {
        var sha512 = Digest.Parse("sha512:" + new string('a', 128));
        Assert.Throws<KargoException>(() => new OciLayout("/tmp/x").BlobPath(sha512));
    }

    [Theory]
    [InlineData("linux/amd64", "linux/amd64", true)]
    [InlineData("linux/arm64", "linux/arm64/v8", true)]
    [InlineData("linux/arm/v7", "linux/arm/v6", false)]
    [InlineData("linux/amd64", "linux/arm64", false)]
    [InlineData("linux/amd64", "windows/amd64", false)]
    public void Platform_without_variant_takes_every_variant(string wanted, string offered, bool matches)
    {
        Assert.Equal(matches, Platform.Parse(wanted).Matches(Platform.Parse(offered)));
    }

    [Theory]
    [InlineData("linux")]
    [InlineData("Linux/AMD64")]
    [InlineData("linux/amd64/v1/extra")]
    public void Platform_rejects_malformed_text(string text)
    {
        Assert.Throws<KargoException>(() => Platform.Parse(text));
    }

    [Fact]
    public void Manifest_parses_oci_and_docker_manifests_and_indexes()
    {
        const string d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        var manifest = ManifestDocument.Parse(Encoding.UTF8.GetBytes($$$"""
            {"schemaVersion":2,"mediaType":"{{{MediaTypes.DockerManifest}}}",
             "config":{"mediaType":"{{{MediaTypes.DockerConfig}}}","digest":"{{{d}}}","size":7},
             "layers":[{"mediaType":"{{{MediaTypes.DockerLayerGzip}}}","digest":"{{{d}}}","size":9}]}
            """), null, "test");
        Assert.False(manifest.IsIndex);
        Assert.Equal([7L, 9L], manifest.Blobs.Select(b => b.Size));

        var index = ManifestDocument.Parse(Encoding.UTF8.GetBytes($$$"""
            {"schemaVersion":2,"manifests":[{"mediaType":"{{{MediaTypes.OciManifest}}}","digest":"{{{d}}}","size":3,
              "platform":{"architecture":"arm64","os":"linux","variant":"v8"}}]}
            """), "application/json", "test");
        Assert.True(index.IsIndex);
        Assert.Equal(MediaTypes.OciIndex, index.MediaType);
        Assert.Equal(new Platform("linux", "arm64", "v8"), index.Manifests[0].Platform);

        var list = ManifestDocument.Parse(Encoding.UTF8.GetBytes("""{"schemaVersion":2,"manifests":[]}"""), MediaTypes.DockerManifestList, "test");
        Assert.Equal(MediaTypes.DockerManifestList, list.MediaType);
    }

    [Theory]
    [InlineData("""{"schemaVersion":1,"name":"x","fsLayers":[]}""", "schema 1")]
    [InlineData("""{"schemaVersion":2,"mediaType":"application/vnd.example+json"}""", "unsupported manifest media type")]
    [InlineData("""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}""", "no config")]
    [InlineData("not json", "not valid JSON")]
    public void Manifest_rejects_what_cannot_be_bundled(string json, string why)
    {
        var error = Assert.Throws<KargoException>(() => ManifestDocument.Parse(Encoding.UTF8.GetBytes(json), null, "quay.io/x/y:1"));
        Assert.Contains("quay.io/x/y:1", error.Message);
        Assert.Contains(why, error.Message);
    }
}
