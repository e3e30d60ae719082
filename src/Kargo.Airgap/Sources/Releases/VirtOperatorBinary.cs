using Kargo.Airgap.Oci;

namespace Kargo.Airgap.Sources.Releases;

/// <summary>
/// Reads the images virt-operator embeds from its own binary. kubevirt/kubevirt v1.8.0 onwards
/// go:embeds virt-template's install bundle
/// (pkg/virt-operator/resource/generate/components/data/virt-template/install-virt-operator.yaml,
/// embedded by virttemplate.go) and only swaps registry and prefix of its
/// <c>image: quay.io/kubevirt/virt-template-apiserver:TAG</c> lines; Go keeps an embedded file's
/// bytes as they are, so the tag is read from /usr/bin/virt-operator inside the operator image,
/// and a release nobody has seen yet needs no table.
/// </summary>
public static class VirtOperatorBinary
{
    /// <summary>Where the virt-operator image keeps the binary (cmd/virt-operator/BUILD.bazel at v1.9.0: package_dir /usr/bin, the entrypoint).</summary>
    public const string File = "/usr/bin/virt-operator";

    /// <summary>
    /// The references named <paramref name="names"/> that the binary embeds, each parsed as an image
    /// reference (bytes that do not parse are binary data that happened to look alike, and are left out).
    /// </summary>
    public static async Task<IReadOnlyList<ImageReference>> ReadAsync(IImageSource source, OciLayout cache, ImageReference operatorImage, Descriptor top, Platform platform, IReadOnlyCollection<string> names, CancellationToken cancellationToken)
    {
        Dictionary<string, SortedSet<string>>? found = null;
        var present = await ImageFiles.ReadAsync(source, cache, operatorImage, top, platform, File,
            async content => found = await EmbeddedImageScan.ScanAsync(content, names, cancellationToken), cancellationToken);
        if (!present)
        {
            throw new KargoException($"{operatorImage}: the image has no {File}, so the images that virt-operator embeds cannot be read from it; " +
                "name virt-template's images in spec.images and in the operator's VIRT_TEMPLATE_APISERVER_IMAGE / VIRT_TEMPLATE_CONTROLLER_IMAGE, or set spec.configuration.virtTemplateDeployment.enabled: false in the bundled KubeVirt CR");
        }
        var references = new List<ImageReference>();
        foreach (var text in found!.Values.SelectMany(t => t))
        {
            try
            {
                references.Add(ImageReference.Parse(text));
            }
            catch (KargoException)
            {
                // Not a reference after all: the binary's other bytes.
            }
        }
        return references;
    }
}
