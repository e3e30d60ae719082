using System.Text;
using Kargo.Airgap.Sources.Releases;
using Kargo.Airgap.Tests.Infrastructure;

namespace Kargo.Airgap.Tests.Unit;

/// <summary>Reading the references a binary embeds, through a bounded window.</summary>
public sealed class EmbeddedImageScanTests
{
    private static readonly string[] Names = ["virt-template-apiserver", "virt-template-controller"];

    [Fact]
    public async Task A_binary_gives_the_embedded_references_and_not_its_other_strings()
    {
        var found = await EmbeddedImageScan.ScanAsync(new MemoryStream(VirtOperatorStandIn.Binary("v0.2.9", size: 200_000)), Names, default);

        Assert.Equal(["quay.io/kubevirt/virt-template-apiserver:v0.2.9"], found["virt-template-apiserver"]);
        Assert.Equal(["quay.io/kubevirt/virt-template-controller:v0.2.9"], found["virt-template-controller"]);
    }

    [Fact]
    public async Task A_reference_across_every_possible_read_boundary_is_found_whole()
    {
        const int window = 64;
        var binary = VirtOperatorStandIn.Binary("v0.2.9", size: 4096, at: 1000);
        var needle = Encoding.ASCII.GetBytes("/virt-template-apiserver:");
        var position = binary.AsSpan().IndexOf(needle);
        Assert.True(position > 0);
        // Move where reads cut by prefixing bytes: each shift puts a boundary at another byte of the reference.
        for (var shift = 0; shift < window; shift++)
        {
            var shifted = new byte[shift].Concat(binary).ToArray();
            var found = await EmbeddedImageScan.ScanAsync(new OneReadAtATime(shifted, window), Names, default, window);
            Assert.Equal(["quay.io/kubevirt/virt-template-apiserver:v0.2.9"], found["virt-template-apiserver"]);
            Assert.Equal(["quay.io/kubevirt/virt-template-controller:v0.2.9"], found["virt-template-controller"]);
        }
    }

    [Fact]
    public async Task A_digest_and_a_registry_port_are_read_and_a_name_without_tag_is_not()
    {
        var text = "junk\0image: registry.lan:5000/kv/virt-template-controller@sha256:" + new string('a', 64) + "\n\0/virt-template-apiserver: \0/virt-template-apiserver\0";

        var found = await EmbeddedImageScan.ScanAsync(new MemoryStream(Encoding.ASCII.GetBytes(text)), Names, default, 16);

        Assert.Equal(["registry.lan:5000/kv/virt-template-controller@sha256:" + new string('a', 64)], found["virt-template-controller"]);
        Assert.Empty(found["virt-template-apiserver"]);
    }

    /// <summary>Hands out at most a few bytes per read, as a network stream may.</summary>
    private sealed class OneReadAtATime(byte[] content, int most) : MemoryStream(content)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, most - 7)], cancellationToken);
    }
}
