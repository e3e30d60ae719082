using System.Collections.Concurrent;
using Kargo.Airgap.Oci;

namespace Kargo.Airgap.Registry;

/// <summary>
/// serve sends no byte of a blob whose digest it has not checked since it started: a file changed on
/// disk after the unpack (a bad sector, a hand edit) is refused, not served as the image. Each blob is
/// hashed once, on its first request; requests for it meanwhile wait for that one check.
/// </summary>
internal sealed class CheckedBlobs(OciLayout layout)
{
    private readonly ConcurrentDictionary<Digest, Lazy<Task<bool>>> _checks = new();

    public async Task<bool> IsIntactAsync(Digest digest)
    {
        var check = _checks.GetOrAdd(digest, d => new Lazy<Task<bool>>(() => Task.Run(async () => await Digest.ComputeFileAsync(layout.BlobPath(d), CancellationToken.None) == d)));
        bool intact;
        try
        {
            intact = await check.Value;
        }
        catch (IOException)
        {
            intact = false;
        }
        if (!intact)
        {
            // Checked again next time: an unpack may have put it right meanwhile.
            _checks.TryRemove(new KeyValuePair<Digest, Lazy<Task<bool>>>(digest, check));
        }
        return intact;
    }
}
