using Kargo.Airgap.Oci;
using Kargo.Airgap.Sources;

namespace Kargo.Airgap.Build;

/// <summary>What a set of downloads did.</summary>
/// <param name="Fetched">Blobs downloaded.</param>
/// <param name="Bytes">Bytes received.</param>
/// <param name="Cached">Blobs the cache held already.</param>
/// <param name="Resumed">Downloads that went on from a partial file.</param>
/// <param name="InPlace">Downloads that wrote their bytes into the bundle as they came (the cache in the same pass).</param>
public sealed record FetchTotals(int Fetched, long Bytes, int Cached, int Resumed, int InPlace = 0);

/// <summary>
/// Fetches the blobs the cache lacks, several at once and in digest order — the order the
/// bundle writes them in. Each is written to the cache and, given a place in the bundle, to the
/// bundle in the same pass; the writer learns which (<see cref="ReadyOf"/>).
/// </summary>
public sealed class BlobDownloads
{
    private readonly Dictionary<Digest, TaskCompletionSource<bool>> _ready = [];
    private readonly ImageSource _images;
    private readonly OciLayout _cache;
    private readonly List<(ImageReference Image, Descriptor Blob)> _missing;
    private readonly int _cached;
    private readonly int _parallelism;
    private readonly Action<string>? _log;
    private readonly IProgress<long>? _progress;

    /// <summary>Completes when every download has; faults with the first failure. Done at once until <see cref="Start"/>.</summary>
    public Task<FetchTotals> Completion { get; private set; } = Task.FromResult(new FetchTotals(0, 0, 0, 0));

    private BlobDownloads(ImageSource images, OciLayout cache, IReadOnlyList<ImagePlan> plans, int parallelism,
        Action<string>? log, IProgress<long>? progress, Func<Descriptor, bool> wanted)
    {
        (_images, _cache, _parallelism, _log, _progress) = (images, cache, parallelism, log, progress);
        var blobs = plans.SelectMany(p => p.Blobs.Select(b => (Image: p.Reference, Blob: b)))
            .Where(x => wanted(x.Blob))
            .DistinctBy(x => x.Blob.Digest)
            .OrderBy(x => x.Blob.Digest.Hex, StringComparer.Ordinal)
            .ToList();
        _missing = [.. blobs.Where(x => !cache.Contains(x.Blob.Digest, x.Blob.Size))];
        _cached = blobs.Count - _missing.Count;
        foreach (var (_, blob) in _missing)
        {
            _ready[blob.Digest] = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>Works out what the cache lacks of the wanted blobs (all of them unless a bundle by difference leaves its base's out); nothing is fetched before <see cref="Start"/>.</summary>
    public static BlobDownloads Plan(ImageSource images, OciLayout cache, IReadOnlyList<ImagePlan> plans, int parallelism,
        Action<string>? log, IProgress<long>? progress, Func<Descriptor, bool>? wanted = null) =>
        new(images, cache, plans, parallelism, log, progress, wanted ?? (_ => true));

    /// <summary>Starts the downloads; <paramref name="placeOf"/> gives each blob's writer in the bundle (null: the cache only).</summary>
    public void Start(Func<Descriptor, BlobTee?> placeOf, CancellationToken cancellationToken) =>
        Completion = RunAsync(placeOf, cancellationToken);

    /// <summary>Completes true when the blob was written into the bundle too, false when it is in the cache only; null when it was there from the start.</summary>
    public Task<bool>? ReadyOf(Digest digest) => _ready.TryGetValue(digest, out var ready) ? ready.Task : null;

    private async Task<FetchTotals> RunAsync(Func<Descriptor, BlobTee?> placeOf, CancellationToken cancellationToken)
    {
        await Task.Yield();
        int fetched = 0, resumed = 0, inPlace = 0;
        long bytes = 0;
        try
        {
            var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _parallelism), CancellationToken = cancellationToken };
            await Parallel.ForEachAsync(_missing, options, async (x, ct) =>
            {
                try
                {
                    var region = placeOf(x.Blob) is { } place ? new Region(place) : null;
                    var result = await _cache.WriteBlobAsync(x.Blob, (offset, token) => _images.OpenBlobAsync(x.Image, x.Blob, offset, token), _progress, ct, region is null ? null : region.Write);
                    Interlocked.Increment(ref fetched);
                    Interlocked.Add(ref bytes, result.BytesTransferred);
                    if (result.ResumedFrom > 0)
                    {
                        Interlocked.Increment(ref resumed);
                        _log?.Invoke($"resumed {x.Blob.Digest} at byte {result.ResumedFrom} of {x.Blob.Size}");
                    }
                    var filled = region?.Filled(x.Blob.Size) == true;
                    if (filled)
                    {
                        Interlocked.Increment(ref inPlace);
                    }
                    _ready[x.Blob.Digest].TrySetResult(filled);
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
        return new FetchTotals(fetched, bytes, _cached, resumed, inPlace);
    }

    /// <summary>
    /// A blob's region in the bundle, and whether its bytes reached it whole: in order from 0 (a
    /// download starting over starts at 0 again). A blob another process fetched into a shared
    /// cache never comes through here, and is copied from the cache instead.
    /// </summary>
    private sealed class Region(BlobTee place)
    {
        private long _next;
        private bool _gap;

        public void Write(long position, ReadOnlySpan<byte> bytes)
        {
            if (position == 0)
            {
                _gap = false;
            }
            else if (position != _next)
            {
                _gap = true;
            }
            place(position, bytes);
            _next = position + bytes.Length;
        }

        public bool Filled(long size) => !_gap && _next == size;
    }
}
