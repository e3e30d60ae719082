using Kargo.Airgap.Spec;
using YamlDotNet.RepresentationModel;

namespace Kargo.Airgap.Sources;

/// <summary>
/// The images KubeVirt and CDI objects pull as disks: a volume's <c>containerDisk.image</c>
/// (VirtualMachine spec.template.spec.volumes, VirtualMachineInstance spec.volumes, and the pools
/// and replica sets that wrap them) and a DataVolume source <c>registry.url: docker://REF</c>
/// (a DataVolume, a VM's dataVolumeTemplates, a DataImportCron's template). Other URL schemes
/// (oci-archive://) are not images a registry serves, and are left alone.
/// </summary>
internal static class VmDiskImages
{
    private const string Docker = "docker://";

    /// <summary>The disk images of one object of a kubevirt.io API group (kubevirt.io, cdi.kubevirt.io, pool.kubevirt.io…).</summary>
    public static IEnumerable<DiscoveredImage> Find(YamlMappingNode root, string where)
    {
        var apiVersion = ManifestImages.Scalar(root, "apiVersion") ?? "";
        if (!apiVersion.Contains("kubevirt.io/", StringComparison.Ordinal))
        {
            return [];
        }
        var found = new List<DiscoveredImage>();
        Walk(root, where, found);
        return found;
    }

    private static void Walk(YamlNode node, string where, List<DiscoveredImage> found)
    {
        if (node is YamlSequenceNode sequence)
        {
            foreach (var item in sequence)
            {
                Walk(item, where, found);
            }
            return;
        }
        if (node is not YamlMappingNode mapping)
        {
            return;
        }
        if (ManifestImages.Scalar(ManifestImages.Mapping(mapping, "containerDisk"), "image") is { Length: > 0 } image)
        {
            var at = $"{where}, volume {ManifestImages.Scalar(mapping, "name") ?? "?"} containerDisk.image";
            found.Add(new DiscoveredImage(ManifestImages.Parse(image, at), at, ImageRule.VmContainerDisk));
        }
        if (ManifestImages.Scalar(ManifestImages.Mapping(ManifestImages.Mapping(mapping, "source"), "registry"), "url") is { } url && url.StartsWith(Docker, StringComparison.Ordinal))
        {
            var at = $"{where}, source.registry.url";
            // CDI: with pullMethod node the node's runtime pulls it through its mirrors; otherwise the importer pod fetches it from the registry it names.
            var pullMethod = ManifestImages.Scalar(ManifestImages.Mapping(ManifestImages.Mapping(mapping, "source"), "registry"), "pullMethod");
            found.Add(new DiscoveredImage(ManifestImages.Parse(url[Docker.Length..], at), at, ImageRule.DataVolumeRegistry) { Direct = pullMethod != "node" });
        }
        foreach (var child in mapping.Children.Values)
        {
            Walk(child, where, found);
        }
    }
}
