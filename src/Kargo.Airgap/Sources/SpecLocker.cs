using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Sources;

/// <summary>What <c>lock</c> did to one image.</summary>
public sealed record LockChange(string Reference, string Digest, string? PreviousDigest)
{
    public bool Changed => PreviousDigest != Digest;
}

/// <summary><c>kargo-bundle lock</c>: resolves every reference of a spec again and writes the lock.</summary>
public static class SpecLocker
{
    public static async Task<IReadOnlyList<LockChange>> LockAsync(string specPath, string lockPath, ImageSource images, CancellationToken cancellationToken)
    {
        var spec = SpecLoader.Load(specPath);
        var lockFile = LockFile.LoadOrEmpty(lockPath);
        var before = lockFile.Images.ToDictionary(i => i.Reference, i => i.Digest.ToString());
        var pinned = await Pinning.PinAsync(spec, lockFile, lockPath, PinMode.ResolveAll, images.ResolveAsync, cancellationToken);
        lockFile.RetainOnly(spec.Images.Select(i => i.Reference));
        lockFile.Save(lockPath);
        return [.. pinned.Select(p => new LockChange(p.Pin.Reference, p.Pin.Digest.ToString(), before.GetValueOrDefault(p.Pin.Reference)))];
    }
}
