using Kargo.Airgap.Oci;
using Kargo.Airgap.Tests.Infrastructure;

namespace Kargo.Airgap.Tests.Unit;

/// <summary>The one walk of an image's graph, over a real OCI layout.</summary>
public sealed class ImageWalkerTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static Descriptor Top(TestImage image) => new() { MediaType = image.MediaType, Digest = image.Digest, Size = image.Manifest.Length };

    [Fact]
    public async Task An_index_is_walked_down_the_entries_it_follows_and_says_which_it_left()
    {
        var index = TestImages.Index("walk", ManifestFormat.Oci, "amd64", "arm64", "s390x");
        TestLayout.Write(_dir["oci"], ("example.org/walk:1", index));
        var layout = new OciLayout(_dir["oci"]);

        var graph = await ImageWalker.WalkAsync(layout, ImageReference.Parse("example.org/walk:1"), Top(index), d => d.Platform?.Architecture != "s390x", CancellationToken.None);

        Assert.Equal([index.Digest, index.Children[0].Digest, index.Children[1].Digest], graph.Manifests.Select(m => m.Descriptor.Digest));
        Assert.Equal(index.Children.Take(2).SelectMany(c => c.Blobs).Select(b => b.Digest.ToString()).Order(), graph.Blobs.Select(b => b.Digest.ToString()).Order());
        Assert.Equal("s390x", Assert.Single(graph.NotFollowed).Platform!.Architecture);
        Assert.Equal(2, graph.Images.Count());
    }

    [Fact]
    public async Task A_manifest_the_layout_lacks_is_named_with_the_fix()
    {
        var image = TestImages.Image("walk-missing");
        TestLayout.Write(_dir["oci"], ("example.org/missing:1", image));
        File.Delete(Path.Combine(_dir["oci"], "blobs", "sha256", image.Digest.Hex));

        var error = await Assert.ThrowsAsync<KargoException>(() => ImageWalker.WalkAsync(new OciLayout(_dir["oci"]), ImageReference.Parse("example.org/missing:1"), Top(image), _ => true, CancellationToken.None));

        Assert.Contains(image.Digest.ToString(), error.Message);
        Assert.Contains("Unpack the bundle again", error.Message);
    }
}
