using Kargo.Airgap.Bundle;
using Kargo.Airgap.Tests.Infrastructure;

namespace Kargo.Airgap.Tests.Unit;

/// <summary>A bundle of known length written in order and at positions, across parts; never committed with a region left unwritten.</summary>
public sealed class PartedWriteStreamTests : IDisposable
{
    private readonly TempDir _dir = new();

    [Fact]
    public void Regions_written_at_their_place_and_the_rest_in_order_give_the_whole_across_parts()
    {
        var content = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();
        using (var stream = new PartedWriteStream(_dir["b.kargo"], partSize: 300, length: content.Length))
        {
            stream.WriteAt(250, content.AsSpan(250, 400)); // a region across parts 0, 1 and 2
            stream.Write(content.AsSpan(0, 250));
            stream.Skip(400);
            stream.Write(content.AsSpan(650));
            stream.Commit();
            Assert.Equal(4, stream.Files.Count);
        }
        Assert.Equal(content, Enumerable.Range(0, 4).SelectMany(i => File.ReadAllBytes(PartedWriteStream.PartName(_dir["b.kargo"], i))).ToArray());
    }

    [Fact]
    public void A_bundle_with_a_region_nobody_wrote_is_not_committed_and_leaves_nothing()
    {
        using (var stream = new PartedWriteStream(_dir["b.kargo"], partSize: null, length: 100))
        {
            stream.Write(new byte[40]);
            stream.Skip(60);
            Assert.Throws<InvalidOperationException>(stream.Commit);
            Assert.Throws<ArgumentOutOfRangeException>(() => stream.WriteAt(90, new byte[20]));
        }
        Assert.Empty(Directory.GetFiles(_dir.Path));
    }

    public void Dispose() => _dir.Dispose();
}
