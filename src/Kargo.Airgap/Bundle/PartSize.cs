using System.Globalization;
using System.Text.RegularExpressions;

namespace Kargo.Airgap.Bundle;

/// <summary>Sizes for <c>--split</c>: <c>4000M</c>, <c>3.9G</c>, <c>512K</c> or plain bytes (binary units).</summary>
public static partial class PartSize
{
    /// <summary>The largest file FAT32 holds: 4 GiB less one byte.</summary>
    public const long Fat32Limit = (4L << 30) - 1;

    public const long Minimum = 64 << 10;

    public static long Parse(string text)
    {
        var match = SizePattern().Match(text.Trim());
        if (!match.Success)
        {
            throw new KargoException($"--split '{text}' is not a size: write bytes or a number with K, M, G or T (binary units), such as 4000M or 3.9G");
        }
        var number = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var unit = match.Groups[2].Value.ToUpperInvariant() switch
        {
            "" or "B" => 1L,
            "K" or "KB" or "KIB" => 1L << 10,
            "M" or "MB" or "MIB" => 1L << 20,
            "G" or "GB" or "GIB" => 1L << 30,
            _ => 1L << 40,
        };
        var bytes = (long)(number * unit);
        if (bytes < Minimum)
        {
            throw new KargoException($"--split '{text}' is {bytes} bytes; a part must be at least {Minimum} bytes");
        }
        return bytes;
    }

    /// <summary>The file system type of the folder a path is in, from /proc/self/mounts (null if unknown).</summary>
    public static string? FileSystemOf(string path)
    {
        const string mounts = "/proc/self/mounts";
        if (!File.Exists(mounts))
        {
            return null;
        }
        var full = Path.GetFullPath(path);
        string? best = null;
        var bestLength = -1;
        foreach (var line in File.ReadLines(mounts))
        {
            var fields = line.Split(' ');
            if (fields.Length < 3)
            {
                continue;
            }
            var mountPoint = fields[1].Replace("\\040", " ", StringComparison.Ordinal);
            var inside = full == mountPoint || full.StartsWith(mountPoint.TrimEnd('/') + "/", StringComparison.Ordinal);
            if (inside && mountPoint.Length > bestLength)
            {
                (best, bestLength) = (fields[2], mountPoint.Length);
            }
        }
        return best;
    }

    /// <summary>FAT12/16/32 cap a file at 4 GiB; exFAT does not.</summary>
    public static bool IsFat(string? fileSystem) => fileSystem is "vfat" or "msdos" or "fat";

    [GeneratedRegex(@"^([0-9]+(?:\.[0-9]+)?)\s*([KMGT](?:i?B)?|B)?\z", RegexOptions.IgnoreCase)]
    private static partial Regex SizePattern();
}
