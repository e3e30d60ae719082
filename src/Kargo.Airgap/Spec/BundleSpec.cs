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

    /// <summary>Where in the file something stands, as <c>file:line</c>.</summary>
    public string Where(int line) => $"{File}:{line}";
}

/// <summary>One entry of <c>spec.images</c>, with the line it stands on.</summary>
public sealed record SpecImage(ImageReference Reference, string Text, int Line);

/// <summary>
/// A file of spec.files or spec.manifests: a URL (or, for manifests, a path beside the spec), the
/// name it has in the bundle, and the sha256 it must have when the spec gives one.
/// </summary>
public sealed record SpecFile(string Source, string Name, string? Sha256, int Line)
{
    public bool IsUrl => Source.StartsWith("https://", StringComparison.Ordinal) || Source.StartsWith("http://", StringComparison.Ordinal);
}
