namespace Kargo.Airgap.Oci;

/// <summary>The index.json annotations that name an image in an OCI layout.</summary>
public static class Annotations
{
    /// <summary>The OCI image spec's name for a layout entry: here the full reference, registry included.</summary>
    public const string RefName = "org.opencontainers.image.ref.name";

    /// <summary>What containerd's import and export read as the image name.</summary>
    public const string ContainerdName = "io.containerd.image.name";
}
