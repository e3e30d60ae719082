namespace Kargo.Airgap.Spec;

/// <summary>How an image came to be in a bundle: named in the spec, or found in a manifest by one of these rules.</summary>
public enum ImageRule
{
    /// <summary>Listed in spec.images.</summary>
    Spec,

    /// <summary>A container's or init container's image: of a pod template.</summary>
    Container,

    /// <summary>A container's environment variable ending in _IMAGE (CDI's CONTROLLER_IMAGE, CNAO's MULTUS_IMAGE).</summary>
    Variable,

    /// <summary>A container argument --NAME-image=REF (cert-manager's --acme-http01-solver-image).</summary>
    Argument,

    /// <summary>What virt-operator derives from its own image at run time (virt-api, virt-handler, …).</summary>
    KubeVirtOperator,

    /// <summary>A VIRT_&lt;NAME&gt;_SHASUM digest of a digest-pinned virt-operator (KubeVirt before v1.7).</summary>
    KubeVirtShasum,

    /// <summary>An image virt-operator embeds with its own tag (virt-template's), read from the operator's binary, moved to its registry and prefix.</summary>
    KubeVirtEmbedded,

    /// <summary>A KubeVirt VM's or VMI's volume containerDisk.image.</summary>
    VmContainerDisk,

    /// <summary>A CDI DataVolume's (or dataVolumeTemplate's) spec.source.registry.url: docker://REF.</summary>
    DataVolumeRegistry,

    /// <summary>A VM disk wrapped as a containerDisk here.</summary>
    ContainerDisk,

    /// <summary>A chart's artifacthub.io/images annotation (no helm to render the chart with).</summary>
    ChartAnnotation,

    /// <summary>A chart's values by the common conventions (image.registry/repository/tag/digest; no helm to render the chart with).</summary>
    ChartValues,
}

public static class ImageRules
{
    /// <summary>The rule's name in the lock's output, the inventory and inspect.</summary>
    public static string Key(this ImageRule rule) => rule switch
    {
        ImageRule.Spec => "spec",
        ImageRule.Container => "container-image",
        ImageRule.Variable => "image-variable",
        ImageRule.Argument => "image-argument",
        ImageRule.KubeVirtOperator => "kubevirt-operator",
        ImageRule.KubeVirtShasum => "kubevirt-shasum",
        ImageRule.KubeVirtEmbedded => "kubevirt-embedded",
        ImageRule.VmContainerDisk => "vm-containerdisk",
        ImageRule.DataVolumeRegistry => "datavolume-registry",
        ImageRule.ContainerDisk => "containerdisk",
        ImageRule.ChartAnnotation => "chart-annotation",
        ImageRule.ChartValues => "chart-values",
        _ => throw new ArgumentOutOfRangeException(nameof(rule)),
    };
}
