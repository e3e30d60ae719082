using System.Text;

namespace Kargo.Airgap.Bundle;

/// <summary>
/// POSIX ustar headers with fixed metadata (mtime 0, uid and gid 0, no user names), and a
/// PAX extended header only when a path or a size does not fit the ustar fields. Same entry,
/// same bytes: that is what makes bundles reproducible.
/// </summary>
internal static class TarHeaders
{
    public const int BlockSize = 512;
    private const long MaxUstarSize = (1L << 33) - 1;

    /// <summary>The header block(s) for a regular file entry.</summary>
    public static byte[] ForFile(string path, long size, int mode)
    {
        var pathBytes = Encoding.UTF8.GetBytes(path);
        var records = new StringBuilder();
        if (pathBytes.Length > 100)
        {
            records.Append(PaxRecord("path", path));
        }
        if (size > MaxUstarSize)
        {
            records.Append(PaxRecord("size", size.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        var header = Header(pathBytes.Length > 100 ? pathBytes[..100] : pathBytes, size > MaxUstarSize ? 0 : size, mode, (byte)'0');
        if (records.Length == 0)
        {
            return header;
        }
        var pax = Encoding.UTF8.GetBytes(records.ToString());
        var paxName = Encoding.UTF8.GetBytes("PaxHeaders/" + Path.GetFileName(path));
        var paxHeader = Header(paxName.Length > 100 ? paxName[..100] : paxName, pax.Length, 0b110_100_100, (byte)'x');
        var block = new byte[paxHeader.Length + Padded(pax.Length) + header.Length];
        paxHeader.CopyTo(block, 0);
        pax.CopyTo(block, paxHeader.Length);
        header.CopyTo(block, paxHeader.Length + Padded(pax.Length));
        return block;
    }

    /// <summary>Bytes of zero padding after <paramref name="size"/> bytes of content.</summary>
    public static int PaddingAfter(long size) => (int)((BlockSize - size % BlockSize) % BlockSize);

    /// <summary>The two zero blocks that end an archive.</summary>
    public static byte[] EndOfArchive() => new byte[BlockSize * 2];

    private static int Padded(int length) => length + PaddingAfter(length);

    private static string PaxRecord(string key, string value)
    {
        // The length prefix counts itself, so find the width that makes it consistent.
        var body = $" {key}={value}\n";
        var length = Encoding.UTF8.GetByteCount(body);
        var total = length + length.ToString(System.Globalization.CultureInfo.InvariantCulture).Length;
        if (total.ToString(System.Globalization.CultureInfo.InvariantCulture).Length != (total - length))
        {
            total++;
        }
        return total.ToString(System.Globalization.CultureInfo.InvariantCulture) + body;
    }

    private static byte[] Header(ReadOnlySpan<byte> name, long size, int mode, byte type)
    {
        var header = new byte[BlockSize];
        name.CopyTo(header);
        Octal(header.AsSpan(100, 8), mode);
        Octal(header.AsSpan(108, 8), 0);
        Octal(header.AsSpan(116, 8), 0);
        Octal(header.AsSpan(124, 12), size);
        Octal(header.AsSpan(136, 12), 0);
        header[156] = type;
        "ustar\0"u8.CopyTo(header.AsSpan(257));
        "00"u8.CopyTo(header.AsSpan(263));
        Octal(header.AsSpan(329, 8), 0);
        Octal(header.AsSpan(337, 8), 0);

        header.AsSpan(148, 8).Fill((byte)' ');
        var sum = 0;
        foreach (var b in header)
        {
            sum += b;
        }
        Octal(header.AsSpan(148, 7), sum);
        header[155] = (byte)' ';
        return header;
    }

    /// <summary>Zero-padded octal digits filling the field but its last byte, then NUL.</summary>
    private static void Octal(Span<byte> field, long value)
    {
        var digits = Convert.ToString(value, 8).PadLeft(field.Length - 1, '0');
        Encoding.ASCII.GetBytes(digits).CopyTo(field);
        field[^1] = 0;
    }
}
