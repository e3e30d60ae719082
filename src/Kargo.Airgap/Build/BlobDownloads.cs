using Kargo.Airgap.Oci;
using Kargo.Airgap.Sources;

namespace Kargo.Airgap.Build;

/// <summary>What a set of downloads did.</summary>
public sealed record FetchTotals(int Fetched, long Bytes, int Cached, int Resumed);

/// <summary>
/// Fetches the blobs the cache lacks, several at once and in digest order — the order the
/// bundle writes them in — so the writer can copy each one as soon as it has landed.
/// </summary>
public sealed class BlobDownloads
{
    private readonly Dictionary<Digest, TaskCompletionSource> _ready = [];

    /// <summary>Completes when every download has; faults with the first failure.</summary>
    public Task<FetchTotals> Completion { get; }

    private BlobDownloads(ImageSource images, OciLayout cache, IReadOnlyList<ImagePlan> plans, int parallelism,
        Action<string>? log, IProgress<long>? progress, Func<Descriptor, bool> wanted, CancellationToken cancellationToken)
    {
        var blobs = plans.SelectMany(p => p.Blobs.Select(b => (Image: p.Reference, Blob: b)))
            .Where(x => wanted(x.Blob))
            .DistinctBy(x => x.Blob.Digest)
            .OrderBy(x => x.Blob.Digest.Hex, StringComparer.Ordinal)
            .ToList();
        var missing = blobs.Where(x => !cache.Contains(x.Blob.Digest, x.Blob.Size)).ToList();
        foreach (var (_, blob) in missing)
        {
            _ready[blob.Digest] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        Completion = RunAsync(images, cache, missing, blobs.Count - missing.Count, parallelism, log, progress, cancellationToken);
    }

    /// <summary>Starts fetching what the cache lacks of the wanted blobs (all of them unless a bundle by difference leaves its base's out).</summary>
    public static BlobDownloads Start(ImageSource images, OciLayout cache, IReadOnlyList<ImagePlan> plans, int parallelism,
        Action<string>? log, IProgress<long>? progress, CancellationToken cancellationToken, Func<Descriptor, bool>? wanted = null) =>
        new(images, cache, plans, parallelism, log, progress, wanted ?? (_ => true), cancellationToken);

    /// <summary>Completes when the blob is in the cache; null when it was there from the start.</summary>
    public Task? ReadyOf(Digest digest) => _ready.TryGetValue(digest, out var ready) ? ready.Task : null;

    private async Task<FetchTotals> RunAsync(ImageSource images, OciLayout cache, List<(Oci.ImageReference Image, Descriptor Blob)> missing, int cached, int parallelism,
        Action<string>? log, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        await Task.Yield();
        int fetched = 0, resumed = 0;
        long bytes = 0;
        try
        {
            var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = cancellationToken };
            await Parallel.ForEachAsync(missing, options, async (x, ct) =>
            {
                try
                {
                    var result = (await cache.PutBlobAsync(images, x.Image, x.Blob, progress, ct)).Write;
                    Interlocked.Increment(ref fetched);
                    Interlocked.Add(ref bytes, result.BytesTransferred);
                    if (result.ResumedFrom > 0)
                    {
                        Interlocked.Increment(ref resumed);
                        log?.Invoke($"resumed {x.Blob.Digest} at byte {result.ResumedFrom} of {x.Blob.Size}");
                    }
                    _ready[x.Blob.Digest].TrySetResult();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _ready[x.Blob.Digest].TrySetException(e);
                    throw;
                }
            });
        }
        catch (Exception e)
        {
            // Whoever waits on a blob that will now never come hears the first failure, not "cancelled".
            foreach (var ready in _ready.Values)
            {
                ready.TrySetException(e);
            }
            throw;
        }
        return new FetchTotals(fetched, bytes, cached, resumed);
    }
}
