using Kargo.Airgap.Oci;

namespace Kargo.Airgap.Spec;

/// <summary>How references without a pin are treated.</summary>
public enum PinMode
{
    /// <summary><c>lock</c>: resolve every tag again.</summary>
    ResolveAll,

    /// <summary><c>build</c>: use the lock, resolve only what it lacks.</summary>
    ResolveMissing,

    /// <summary><c>build --locked</c>: use the lock, resolve nothing, fail on anything unpinned.</summary>
    LockedOnly,
}

/// <summary>A spec image and the digest it is built from.</summary>
public sealed record PinnedImage(SpecImage Image, LockedImage Pin, bool NewlyResolved);

/// <summary>Pins every image of a spec to a digest from the lock, the reference itself, or the registry.</summary>
public static class Pinning
{
    public delegate Task<LockedImage> Resolve(ImageReference reference, CancellationToken cancellationToken);

    /// <summary>What --locked cannot build from, one per line, then the fix.</summary>
    public static KargoException NotPinned(BundleSpec spec, string lockPath, IEnumerable<string> what)
    {
        var list = what.ToList();
        return new KargoException($"--locked: {lockPath} does not pin {list.Count} of what the spec needs:\n  {string.Join("\n  ", list)}\n" +
            $"Run 'kargo-bundle lock {spec.File} --lock {lockPath}' on a connected host, or build without --locked");
    }

    /// <summary>Pins the spec's images, updating <paramref name="lockFile"/> with what was resolved.</summary>
    public static async Task<IReadOnlyList<PinnedImage>> PinAsync(BundleSpec spec, LockFile lockFile, string lockPath, PinMode mode, Resolve resolve, CancellationToken cancellationToken)
    {
        if (mode == PinMode.LockedOnly)
        {
            var unpinned = spec.Images.Where(i => i.Reference.Digest is null && lockFile.Find(i.Reference) is null).ToList();
            if (unpinned.Count > 0)
            {
                throw NotPinned(spec, lockPath, unpinned.Select(i => $"{i.Reference} ({spec.Where(i)})"));
            }
        }

        var pinned = new List<PinnedImage>();
        foreach (var image in spec.Images)
        {
            var locked = lockFile.Find(image.Reference);
            var lockAgrees = locked is not null && (image.Reference.Digest is null || locked.Digest == image.Reference.Digest);
            if (lockAgrees && (mode != PinMode.ResolveAll || image.Reference.Digest is not null))
            {
                pinned.Add(new PinnedImage(image, locked!, false));
                continue;
            }
            try
            {
                locked = await resolve(image.Reference, cancellationToken);
            }
            catch (KargoException e)
            {
                throw new KargoException($"{spec.Where(image)}: {e.Message}", e);
            }
            // Under --locked only references that carry their own digest get here; the lock stays as it is.
            if (mode != PinMode.LockedOnly)
            {
                lockFile.Pin(locked);
            }
            pinned.Add(new PinnedImage(image, locked, mode != PinMode.LockedOnly));
        }
        return pinned;
    }
}

/// <summary>A file of the spec and, for a URL, what it is pinned to (null for a local path).</summary>
/// <param name="File">The spec entry.</param>
/// <param name="Kind">The spec section it comes from: spec.manifests, spec.files or spec.vmImages.</param>
/// <param name="Pin">The pinned URL content, or null for a local path.</param>
/// <param name="NewlyResolved">Resolved by this run (not from the lock).</param>
public sealed record PinnedFile(SpecFile File, SpecFileKind Kind, LockedFile? Pin, bool NewlyResolved);

/// <summary>Which section of the spec a file comes from; the bundle format decides where each kind goes.</summary>
public enum SpecFileKind { Manifest, File, VmDisk }

/// <summary>Pins spec.manifests, spec.files and spec.vmImages URLs to the sha256 and size they serve.</summary>
public static class FilePinning
{
    public delegate Task<LockedFile> Resolve(SpecFile file, CancellationToken cancellationToken);

    public static async Task<IReadOnlyList<PinnedFile>> PinAsync(BundleSpec spec, LockFile lockFile, string lockPath, PinMode mode, Resolve resolve, CancellationToken cancellationToken)
    {
        var all = spec.Manifests.Select(f => (File: f, Kind: SpecFileKind.Manifest))
            .Concat(spec.Files.Select(f => (File: f, Kind: SpecFileKind.File)))
            .Concat(spec.VmImages.Select(v => (File: v.Download, Kind: SpecFileKind.VmDisk)))
            .ToList();
        if (mode == PinMode.LockedOnly)
        {
            var unpinned = all.Where(x => x.File.IsUrl && lockFile.FindFile(x.File.Source) is null).ToList();
            if (unpinned.Count > 0)
            {
                throw Pinning.NotPinned(spec, lockPath, unpinned.Select(x => $"{x.File.Source} ({spec.Where(x.File.Line)})"));
            }
        }
        var pinned = new List<PinnedFile>();
        foreach (var (file, kind) in all)
        {
            if (!file.IsUrl)
            {
                pinned.Add(new PinnedFile(file, kind, null, false));
                continue;
            }
            var locked = lockFile.FindFile(file.Source);
            if (locked is not null && file.Sha256 is { } wanted && wanted != locked.Sha256 && mode == PinMode.LockedOnly)
            {
                throw new KargoException($"{spec.Where(file.Line)}: the spec pins {file.Source} to sha256 {wanted} but {lockPath} has {locked.Sha256}; run 'kargo-bundle lock' again");
            }
            if (locked is not null && mode != PinMode.ResolveAll && (file.Sha256 is null || file.Sha256 == locked.Sha256))
            {
                pinned.Add(new PinnedFile(file, kind, locked, false));
                continue;
            }
            try
            {
                locked = await resolve(file, cancellationToken);
            }
            catch (KargoException e)
            {
                throw new KargoException($"{spec.Where(file.Line)}: {e.Message}", e);
            }
            lockFile.Pin(locked);
            pinned.Add(new PinnedFile(file, kind, locked, true));
        }
        return pinned;
    }
}
