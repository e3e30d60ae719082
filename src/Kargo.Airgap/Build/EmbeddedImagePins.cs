using Kargo.Airgap.Oci;
using Kargo.Airgap.Sources;
using Kargo.Airgap.Sources.Releases;
using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Build;

/// <summary>
/// Answers what the operators a spec bundles embed (virt-template's images in virt-operator): from
/// the lock when it read the same operator digest before, else by reading the operator's binary,
/// which <c>lock</c> and <c>build</c> then record in the lock, so <c>build --locked</c> reads nothing.
/// </summary>
internal static class EmbeddedImagePins
{
    public static async Task FillAsync(BundleSpec spec, OperatorEmbeddedImages embedded, LockFile lockFile, string lockPath, PinMode mode, ImageSource images, OciLayout cache, CancellationToken cancellationToken)
    {
        var names = KubeVirtComponents.Known.Where(c => c.Embedded).Select(c => c.Name).ToList();
        var platform = spec.Platforms.FirstOrDefault(p => p.Os == "linux") ?? Platform.LinuxAmd64;
        foreach (var operatorImage in embedded.Unread.ToList())
        {
            var pin = await PinAsync(spec, operatorImage, lockFile, lockPath, mode, images, cancellationToken);
            var read = lockFile.FindEmbedded(pin.Digest);
            if (read is null)
            {
                if (mode == PinMode.LockedOnly)
                {
                    throw Pinning.NotPinned(spec, lockPath, [$"the images {VirtOperatorBinary.File} embeds in {operatorImage} ({pin.Digest})"]);
                }
                var top = new Descriptor { MediaType = pin.MediaType, Digest = pin.Digest, Size = pin.Size };
                var found = await VirtOperatorBinary.ReadAsync(images, cache, operatorImage.WithDigest(pin.Digest), top, platform, names, cancellationToken);
                read = new LockedEmbedded { Image = operatorImage.ToString(), Digest = pin.Digest, File = VirtOperatorBinary.File, Images = [.. found.Select(f => f.ToString()).Distinct().Order(StringComparer.Ordinal)] };
                lockFile.Pin(read);
            }
            embedded.Add(operatorImage, [.. read.Images.Select(ImageReference.Parse)]);
        }
    }

    /// <summary>The operator's manifest digest as the mode allows: the lock's, or asked of the registry.</summary>
    private static async Task<LockedImage> PinAsync(BundleSpec spec, ImageReference operatorImage, LockFile lockFile, string lockPath, PinMode mode, ImageSource images, CancellationToken cancellationToken)
    {
        var locked = lockFile.Find(operatorImage);
        if (locked is not null && mode != PinMode.ResolveAll && (operatorImage.Digest is null || operatorImage.Digest == locked.Digest))
        {
            return locked;
        }
        if (mode == PinMode.LockedOnly)
        {
            // Offline from the lock: an operator it does not hold (or holds at another digest) is never asked of a registry.
            throw Pinning.NotPinned(spec, lockPath, [$"{operatorImage} (its {VirtOperatorBinary.File} names the virt-template images)"]);
        }
        return await images.ResolveAsync(operatorImage, cancellationToken);
    }
}
