using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Sources;

/// <summary>Tells qcow2, ISO 9660 and raw disks apart by their magic numbers, without qemu-img.</summary>
public static class DiskFormats
{
    private static readonly byte[] Qcow2Magic = [(byte)'Q', (byte)'F', (byte)'I', 0xfb];
    private const int IsoMagicOffset = 0x8001;
    private static readonly byte[] IsoMagic = "CD001"u8.ToArray();

    public static DiskFormat Detect(string path)
    {
        using var file = File.OpenRead(path);
        var head = new byte[4];
        if (file.ReadAtLeast(head, 4, throwOnEndOfStream: false) == 4 && head.AsSpan().SequenceEqual(Qcow2Magic))
        {
            return DiskFormat.Qcow2;
        }
        if (file.Length >= IsoMagicOffset + IsoMagic.Length)
        {
            file.Position = IsoMagicOffset;
            var iso = new byte[IsoMagic.Length];
            if (file.ReadAtLeast(iso, iso.Length, throwOnEndOfStream: false) == iso.Length && iso.AsSpan().SequenceEqual(IsoMagic))
            {
                return DiskFormat.Iso;
            }
        }
        return DiskFormat.Raw;
    }

    /// <summary>The size of the disk a VM sees: a qcow2's header says it; a raw or ISO image is its own size.</summary>
    public static long VirtualSize(string path)
    {
        if (Detect(path) != DiskFormat.Qcow2)
        {
            return new FileInfo(path).Length;
        }
        using var file = File.OpenRead(path);
        Span<byte> header = stackalloc byte[32];
        file.ReadExactly(header);
        return (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(header[24..]);
    }

    /// <summary>Refuses a disk whose bytes are not the format the spec declares.</summary>
    public static void Check(string path, SpecVmImage image)
    {
        var actual = Detect(path);
        if (actual != image.Format)
        {
            throw new KargoException($"VM image '{image.Name}' ({image.Download.Source}) is declared {image.Format.ToString().ToLowerInvariant()} but its bytes are {actual.ToString().ToLowerInvariant()}; fix format: in the spec");
        }
    }
}
