using System.Diagnostics;
using System.Security.Cryptography;

namespace Kargo.Airgap.Bundle;

/// <summary>
/// How fast a bundle's medium reads and hashes, from a short sample in the middle of its largest
/// file (the start was just read to check the signature): what verify-and-unpack, one pass over
/// every byte, will go at. A USB stick reads at 30–400 MB/s; a sample the page cache already holds
/// reads faster than the medium, so the estimate is a lower bound then.
/// </summary>
public static class ReadRate
{
    public const long SampleBytes = 64L << 20;

    /// <summary>Bytes per second read and hashed, over at most <see cref="SampleBytes"/>.</summary>
    public static double Sample(string bundle)
    {
        var files = BundleFiles.Locate(bundle);
        var largest = files.Paths.Zip(files.Sizes).MaxBy(p => p.Second);
        var length = Math.Min(SampleBytes, largest.Second);
        using var stream = new FileStream(largest.First, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        stream.Position = (largest.Second - length) / 2;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        var clock = Stopwatch.StartNew();
        for (long left = length; left > 0;)
        {
            var read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (read == 0)
            {
                break;
            }
            hash.AppendData(buffer, 0, read);
            left -= read;
        }
        return length / Math.Max(clock.Elapsed.TotalSeconds, 1e-6);
    }

    /// <summary>"about 40 s (4.0 GiB at 105 MB/s, measured on 64 MiB of it)".</summary>
    public static string Estimate(long totalBytes, double bytesPerSecond)
    {
        var seconds = totalBytes / bytesPerSecond;
        var time = seconds < 90 ? $"{Math.Max(1, Math.Round(seconds))} s" : $"{Math.Round(seconds / 60, 1)} min";
        return $"about {time} ({totalBytes / (1024.0 * 1024 * 1024):0.0} GiB at {bytesPerSecond / 1e6:0} MB/s, measured reading and hashing {Math.Min(SampleBytes, totalBytes) >> 20} MiB of it)";
    }
}
