using System.Text.RegularExpressions;

namespace Kargo.Airgap.Bundle;

/// <summary>
/// The file or files a bundle is stored in. Given <c>NAME.kargo</c>, <c>NAME.kargo.000</c> or any
/// part, it finds <c>.000</c>, <c>.001</c>, … in order; reading them gives one continuous stream.
/// </summary>
public sealed partial class BundleFiles
{
    public IReadOnlyList<string> Paths { get; }
    public IReadOnlyList<long> Sizes { get; }
    public long TotalSize => Sizes.Sum();
    public bool IsSplit { get; }

    /// <summary>How the user named it, for messages.</summary>
    public string Name { get; }

    private BundleFiles(string name, IReadOnlyList<string> paths, bool split)
    {
        Name = name;
        Paths = paths;
        IsSplit = split;
        Sizes = [.. paths.Select(p => new FileInfo(p).Length)];
    }

    public static BundleFiles Locate(string path)
    {
        var full = Path.GetFullPath(path);
        var part = PartSuffix().Match(full);
        if (File.Exists(full) && !part.Success)
        {
            return new BundleFiles(path, [full], false);
        }
        var baseName = part.Success ? full[..^4] : full;
        if (!File.Exists(PartedWriteStream.PartName(baseName, 0)))
        {
            throw new KargoException(part.Success
                ? $"{path} is a part, but the first part {PartedWriteStream.PartName(baseName, 0)} is missing"
                : $"bundle '{path}' does not exist (nor its first part {Path.GetFileName(baseName)}.000)");
        }
        var parts = new List<string>();
        while (File.Exists(PartedWriteStream.PartName(baseName, parts.Count)))
        {
            parts.Add(PartedWriteStream.PartName(baseName, parts.Count));
        }
        return new BundleFiles(baseName, parts, true);
    }

    /// <summary>Names every part bytes [from, to) lie in: "part NAME.001" or "parts NAME.000, NAME.001, NAME.002".</summary>
    public string Where(long from, long to)
    {
        if (!IsSplit)
        {
            return $"bytes {from}–{to} of {Path.GetFileName(Paths[0])}";
        }
        var names = new List<string>();
        long start = 0;
        for (var i = 0; i < Sizes.Count; i++)
        {
            var end = start + Sizes[i];
            if (from < end && Math.Max(from + 1, to) > start)
            {
                names.Add(Path.GetFileName(Paths[i]));
            }
            start = end;
        }
        if (names.Count == 0)
        {
            names.Add(Path.GetFileName(Paths[^1]));
        }
        return names.Count == 1 ? $"part {names[0]}" : $"parts {string.Join(", ", names)}";
    }

    /// <summary>
    /// Checks the files add up to the size the inventory implies. Every part but the last has the
    /// size of the first, so a missing or truncated part is named before anything is read further.
    /// </summary>
    public string? SizeProblem(long expected)
    {
        var total = TotalSize;
        if (total == expected)
        {
            for (var i = 0; IsSplit && i < Sizes.Count - 1; i++)
            {
                if (Sizes[i] != Sizes[0])
                {
                    return $"part {Path.GetFileName(Paths[i])} is {Sizes[i]} bytes where every part but the last has {Sizes[0]}: parts are mixed from different builds";
                }
            }
            return null;
        }
        if (total > expected)
        {
            return $"{total - expected} bytes follow the end of the bundle (something was appended, or a part is from another bundle)";
        }
        if (!IsSplit)
        {
            return $"the bundle is truncated: {Path.GetFileName(Paths[0])} has {total} bytes of {expected}";
        }
        var partSize = Sizes[0];
        var expectedParts = (int)((expected + partSize - 1) / partSize);
        for (var i = 0; i < Sizes.Count - 1; i++)
        {
            if (Sizes[i] != partSize)
            {
                return $"part {Path.GetFileName(Paths[i])} is truncated: {Sizes[i]} bytes of {partSize}";
            }
        }
        if (Sizes.Count < expectedParts)
        {
            // Reading stops at the first gap; parts after it may well be there and are not missing.
            var missing = Enumerable.Range(Sizes.Count, expectedParts - Sizes.Count).Select(i => PartedWriteStream.PartName(Name, i)).Where(p => !File.Exists(p)).Select(Path.GetFileName);
            return $"the bundle has {expectedParts} parts; missing: {string.Join(", ", missing)}";
        }
        return $"the last part {Path.GetFileName(Paths[^1])} is truncated: the bundle is {total} bytes of {expected}";
    }

    /// <summary>All parts as one stream, read ahead on another thread so hashing never waits for the disk.</summary>
    public Stream OpenRead() => new ReadAheadStream(new ConcatenatedStream(Paths));

    [GeneratedRegex(@"\.[0-9]{3}\z")]
    private static partial Regex PartSuffix();

    /// <summary>Files read one after another as one stream.</summary>
    private sealed class ConcatenatedStream(IReadOnlyList<string> paths) : ReadOnlyStream
    {
        private int _index = -1;
        private FileStream? _current;

        public override int Read(Span<byte> buffer)
        {
            while (true)
            {
                if (_current is null)
                {
                    if (++_index >= paths.Count)
                    {
                        return 0;
                    }
                    _current = new FileStream(paths[_index], FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
                }
                var read = _current.Read(buffer);
                if (read > 0)
                {
                    return read;
                }
                _current.Dispose();
                _current = null;
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _current?.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
