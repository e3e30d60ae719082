using Kargo.Airgap.Oci;
using Kargo.Airgap.Sources;
using Kargo.Airgap.Sources.Releases;
using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Build;

/// <summary>What <c>lock</c> did to one image or file; for an image, the rule that found it (<see cref="ImageRules.Key"/>) and where.</summary>
/// <param name="Reference">The image reference or file URL.</param>
/// <param name="Digest">What it is pinned to now.</param>
/// <param name="PreviousDigest">What the lock pinned before, or null when it is new.</param>
/// <param name="FoundBy">For an image, the rule that found it.</param>
/// <param name="Origin">Where that rule found it.</param>
/// <param name="Via">The mirror that answered for the registry (its name for the image), when one did.</param>
/// <param name="Warning">For an image named by the tag latest (or by no tag): what the pin means, naming the image and where it is named (<see cref="LatestTag.Warning"/>).</param>
public sealed record LockChange(string Reference, string Digest, string? PreviousDigest, string? FoundBy = null, string? Origin = null, string? Via = null, string? Warning = null)
{
    public bool Changed => PreviousDigest != Digest;
}

/// <summary><c>kargo-bundle lock</c>: resolves every reference of a spec again and writes the lock.</summary>
public static class SpecLocker
{
    public static async Task<IReadOnlyList<LockChange>> LockAsync(string specPath, string lockPath, ImageSource images, FileSource files, ReleaseCatalog releases, OciLayout cache, Uri? engine, CancellationToken cancellationToken,
        string? helm = null, Action<string>? log = null)
    {
        var spec = releases.Expand(SpecLoader.Load(specPath));
        var lockFile = LockFile.LoadOrEmpty(lockPath);
        var before = lockFile.Images.ToDictionary(i => i.Reference, i => i.Digest.ToString());
        var filesBefore = lockFile.Files.ToDictionary(f => f.Url, f => "sha256:" + f.Sha256);
        var chartsBefore = lockFile.Charts.ToDictionary(c => c.Key, c => "sha256:" + c.Sha256);
        var pinnedFiles = await FilePinning.PinAsync(spec, lockFile, lockPath, PinMode.ResolveAll, files.ResolveAsync, cancellationToken);
        var charts = await SpecChartPins.PinAsync(spec, lockFile, lockPath, PinMode.ResolveAll, new ChartSource(files, images, cache) { Mirrored = releases.Hosts.Mirrored }, helm, log, cancellationToken);
        using var pinnedImages = await SpecImages.PinAsync(spec, pinnedFiles, files, charts, lockFile, lockPath, PinMode.ResolveAll, images, cache, engine, cancellationToken);
        var pinned = pinnedImages.Pinned;
        lockFile.RetainOnly(pinnedImages.Spec.Images.Select(i => i.Reference));
        lockFile.RetainFiles(pinnedFiles.Where(f => f.Pin is not null).Select(f => f.File.Source));
        lockFile.RetainCharts(spec.Charts);
        lockFile.Save(lockPath);
        return
        [
            .. pinned.Select(p => new LockChange(p.Pin.Reference, p.Pin.Digest.ToString(), before.GetValueOrDefault(p.Pin.Reference), p.Image.FoundBy.Key(), p.Image.Origin, images.MirrorThatResolved(p.Pin.Reference),
                !p.Image.FromEngine && LatestTag.Names(p.Image.Reference) ? LatestTag.Warning(p.Pin.Reference, pinnedImages.Spec.Where(p.Image)) : null)),
            .. pinnedFiles.Where(f => f.Pin is not null).Select(f => new LockChange(f.Pin!.Url, "sha256:" + f.Pin.Sha256, filesBefore.GetValueOrDefault(f.Pin.Url))),
            .. charts.Select(c => new LockChange($"chart {c.Pin.Name} {c.Pin.Version} ({c.Pin.Url ?? c.Pin.Source + "@" + c.Pin.Manifest})", "sha256:" + c.Pin.Sha256, chartsBefore.GetValueOrDefault(c.Pin.Key), c.MethodKey, $"{c.Images.Count} images")),
        ];
    }
}
