using Kargo.Airgap.Oci;

namespace Kargo.Airgap.Spec;

/// <summary>A bundle spec (<c>bundle-specs/*.yaml</c>): what a bundle holds, before pinning.</summary>
public sealed record BundleSpec
{
    /// <summary>The file it was read from, to name in messages.</summary>
    public required string File { get; init; }

    public required string Name { get; init; }
    public required string Version { get; init; }
    public required IReadOnlyList<Platform> Platforms { get; init; }
    public required IReadOnlyList<SpecImage> Images { get; init; }

    /// <summary>Kubernetes manifests to carry (spec.manifests), each to manifests/NAME.</summary>
    public IReadOnlyList<SpecFile> Manifests { get; init; } = [];

    /// <summary>Anything else to carry (spec.files), each to files/NAME.</summary>
    public IReadOnlyList<SpecFile> Files { get; init; } = [];

    /// <summary>Helm charts (spec.charts), each to charts/NAME-VERSION.tgz and installed as a release.</summary>
    public IReadOnlyList<SpecChart> Charts { get; init; } = [];

    /// <summary>VM disk images (spec.vmImages): as containerDisk images, raw files under vm/, or both.</summary>
    public IReadOnlyList<SpecVmImage> VmImages { get; init; } = [];

    /// <summary>The platform components asked for by version (spec.cluster.k3s, spec.kubevirt, spec.cdi).</summary>
    public IReadOnlyList<SpecComponent> Components { get; init; } = [];

    /// <summary>The component asked for under this name (<see cref="ComponentNames"/>), if any.</summary>
    public SpecComponent? Component(string name) => Components.FirstOrDefault(c => c.Name == name);

    /// <summary>Where in the file something stands, as <c>file:line</c>.</summary>
    public string Where(int line) => $"{File}:{line}";

    /// <summary>Where an image comes from: its spec line, or the manifest, container and variable that name it.</summary>
    public string Where(SpecImage image) => image.Origin ?? Where(image.Line);
}

/// <summary>One entry of <c>spec.images</c>, with the line it stands on; or an image a manifest names, with where.</summary>
public sealed record SpecImage(ImageReference Reference, string Text, int Line, string? Origin = null, string? Component = null)
{
    /// <summary>source: docker — read through a Docker or Podman engine's API (an image the user built), not from a registry.</summary>
    public bool FromEngine { get; init; }

    /// <summary>The rule that found it: spec.images, or how a manifest names it.</summary>
    public ImageRule FoundBy { get; init; } = ImageRule.Spec;
}

/// <summary>
/// A file of spec.files or spec.manifests: a URL (or, for manifests, a path beside the spec), the
/// name it has in the bundle, and the sha256 it must have when the spec gives one.
/// </summary>
public sealed record SpecFile(string Source, string Name, string? Sha256, int Line, string? Component = null)
{
    /// <summary>spec.manifests: the namespace of the objects that name none (upstream applies them with -n).</summary>
    public string? Namespace { get; init; }

    public bool IsUrl => Source.StartsWith("https://", StringComparison.Ordinal) || Source.StartsWith("http://", StringComparison.Ordinal);
}

public enum DiskFormat { Qcow2, Raw, Iso }

/// <summary>How a VM disk reaches the node.</summary>
[Flags]
public enum DiskDelivery
{
    /// <summary>A KubeVirt containerDisk image in the bundle's OCI layout.</summary>
    ContainerDisk = 1,

    /// <summary>The disk file itself under vm/, for a CDI import.</summary>
    File = 2,

    Both = ContainerDisk | File,
}

/// <summary>One entry of spec.vmImages.</summary>
/// <param name="Name">Names the disk file (NAME.FORMAT) and the image (kargo.local/vm/NAME).</param>
/// <param name="Download">The URL and sha256, pinned like spec.files.</param>
/// <param name="Format">What the bytes must be: checked by their magic numbers.</param>
/// <param name="Delivery">containerDisk, file or both.</param>
/// <param name="Tag">The containerDisk image's tag.</param>
public sealed record SpecVmImage(string Name, SpecFile Download, DiskFormat Format, DiskDelivery Delivery, string Tag)
{
    public const string Registry = "kargo.local";

    public string FileName => $"{Name}.{Format.ToString().ToLowerInvariant()}";

    public Oci.ImageReference Image => Oci.ImageReference.Parse($"{Registry}/vm/{Name}:{Tag}");
}

/// <summary>A platform component asked for by version: k3s, kubevirt or cdi; or microk8s by channel.</summary>
public sealed record SpecComponent(string Name, string Version, int Line, IReadOnlyList<string> FeatureGates)
{
    /// <summary>kubevirt: images virt-operator starts only for a feature or a virtctl command, carried even without the gate ("all" for every one).</summary>
    public IReadOnlyList<string> OptionalComponents { get; init; } = [];

    /// <summary>k3s: the k3s-selinux release (tag) whose policy RPMs the bundle carries for SELinux-enforcing nodes, or null.</summary>
    public string? Selinux { get; init; }

    /// <summary>selinux: true takes this k3s-selinux release (seen published with el8 and el9 RPMs).</summary>
    public const string DefaultSelinuxRelease = "v1.6.stable.1";

    /// <summary>microk8s: the .snap files 'snap download' wrote (paths beside the spec), each with its .assert beside it.</summary>
    public IReadOnlyList<string> Snaps { get; init; } = [];
}
