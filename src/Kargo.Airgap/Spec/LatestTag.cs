using Kargo.Airgap.Oci;

namespace Kargo.Airgap.Spec;

/// <summary>
/// An image named by the tag <c>latest</c> (or by no tag, which means latest) and no digest. <c>lock</c>
/// pins it to a digest like any tag, which makes the bundle reproducible; but that digest is whatever
/// <c>latest</c> pointed to on the day of the lock, not the build of the release that names it
/// (hostpath-provisioner-operator v0.25.2's published operator.yaml names its own images so).
/// </summary>
public static class LatestTag
{
    /// <summary>True for a reference that <c>latest</c> stands for and no digest pins.</summary>
    public static bool Names(ImageReference reference) => reference.Digest is null && reference.Tag == "latest";

    /// <summary>True for a reference text that parses to <see cref="Names(ImageReference)"/>.</summary>
    public static bool Names(string reference) => Names(ImageReference.Parse(reference));

    /// <summary>What <c>lock</c> says of such an image, naming it and where it is named (a manifest and the object, container and variable in it, or a spec line).</summary>
    public static string Warning(string reference, string where) =>
        $"{reference} ({where}) is named by the tag latest (or by no tag, which means latest): the digest pinned is whatever latest pointed to on the day of this lock, not the release's own build";

    /// <summary>The note the lock file carries beside such an image's pin. It is written from the reference each time and read by nothing.</summary>
    public const string LockNote = "tag latest: this digest is whatever latest pointed to when the lock was written, not a release's own build";
}
