using System.Buffers;
using System.Text;

namespace Kargo.Airgap.Sources.Releases;

/// <summary>
/// Finds image references a program carries in its bytes: Go's go:embed stores an embedded file
/// verbatim in the binary, so an embedded manifest's <c>image: REGISTRY/NAME:TAG</c> lines can be
/// read from the executable without running it. The stream is read through a fixed window; the
/// bytes around the last unexamined position are carried into the next read, so a reference cut by
/// a buffer boundary is whole when it is looked at, and memory stays bounded whatever the size.
/// </summary>
public static class EmbeddedImageScan
{
    /// <summary>The longest registry-and-path text taken before a name.</summary>
    internal const int MaxPrefix = 256;

    /// <summary>The longest text taken after a name: ':' and a tag (128 at most), or '@sha256:' and 64 hex digits.</summary>
    private const int MaxSuffix = 1 + 128 + 8;

    /// <summary>The bytes read at a time; tests make it small to put references across boundaries.</summary>
    internal const int DefaultWindow = 1 << 20;

    /// <summary>
    /// Every distinct reference text <c>…/NAME:TAG</c> or <c>…/NAME@sha256:HEX</c> in the stream, for
    /// each of <paramref name="names"/>. Only bytes a reference can hold are taken; the caller parses
    /// each one with the image reference parser before it becomes an image.
    /// </summary>
    public static async Task<Dictionary<string, SortedSet<string>>> ScanAsync(Stream content, IReadOnlyCollection<string> names, CancellationToken cancellationToken, int window = DefaultWindow)
    {
        var needles = names.Select(n => (Name: n, Bytes: Encoding.ASCII.GetBytes("/" + n))).ToList();
        var found = names.ToDictionary(n => n, _ => new SortedSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
        // A needle is examined only once what may follow it has arrived, and with what precedes it still held.
        var lookahead = needles.Max(n => n.Bytes.Length) + MaxSuffix;
        var buffer = ArrayPool<byte>.Shared.Rent(window + MaxPrefix + lookahead);
        try
        {
            int length = 0, from = 0;
            var ended = false;
            while (!ended)
            {
                var read = await content.ReadAsync(buffer.AsMemory(length, window), cancellationToken);
                ended = read == 0;
                length += read;
                var limit = ended ? length : Math.Max(from, length - lookahead);
                foreach (var (name, needle) in needles)
                {
                    Collect(buffer.AsSpan(0, length), from, limit, needle, found[name]);
                }
                var drop = Math.Max(0, limit - MaxPrefix);
                buffer.AsSpan(drop, length - drop).CopyTo(buffer);
                length -= drop;
                from = limit - drop;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return found;
    }

    /// <summary>The references whose needle starts in [from, limit).</summary>
    private static void Collect(ReadOnlySpan<byte> data, int from, int limit, byte[] needle, SortedSet<string> into)
    {
        while (from < limit)
        {
            var at = data[from..].IndexOf(needle);
            if (at < 0 || from + at >= limit)
            {
                return;
            }
            var start = from + at;
            from = start + 1;
            var end = start + needle.Length;
            var suffix = SuffixLength(data[end..]);
            var head = start;
            while (head > 0 && start - head < MaxPrefix && (IsPathByte(data[head - 1]) || data[head - 1] == (byte)':' && IsPort(data[head..])))
            {
                head--;
            }
            if (suffix > 0 && head < start)
            {
                into.Add(Encoding.ASCII.GetString(data[head..(end + suffix)]));
            }
        }
    }

    /// <summary>The length of ':TAG' or '@sha256:HEX' at the start of <paramref name="rest"/>; 0 when neither is there.</summary>
    private static int SuffixLength(ReadOnlySpan<byte> rest)
    {
        if (rest.StartsWith("@sha256:"u8))
        {
            const int digest = 8 + 64;
            return rest.Length >= digest && rest[8..digest].IndexOfAnyExcept("0123456789abcdef"u8) < 0 && (rest.Length == digest || !IsTagByte(rest[digest])) ? digest : 0;
        }
        if (rest.IsEmpty || rest[0] != (byte)':')
        {
            return 0;
        }
        var length = 1;
        while (length < rest.Length && IsTagByte(rest[length]))
        {
            length++;
        }
        // Longer than a tag may be: not a reference, whatever it is.
        return length is > 1 and <= 129 ? length : 0;
    }

    /// <summary>HOST:PORT/ — the colon of a port is followed by digits and a slash.</summary>
    private static bool IsPort(ReadOnlySpan<byte> afterColon)
    {
        var digits = afterColon.IndexOfAnyExcept("0123456789"u8);
        return digits > 0 && afterColon[digits] == (byte)'/';
    }

    private static bool IsPathByte(byte b) => IsTagByte(b) || b == (byte)'/';

    private static bool IsTagByte(byte b) =>
        b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9' or (byte)'.' or (byte)'-' or (byte)'_';
}
