using Kargo.Airgap.Oci;

namespace Kargo.Airgap.Sources.Releases;

/// <summary>
/// The images virt-operator binaries carry in an embedded manifest (virt-template's, from KubeVirt
/// v1.8), by operator image. Finding images is synchronous and reads no registry, so a lookup of
/// an operator not read yet answers null and remembers it: the caller reads those operators
/// (<see cref="VirtOperatorBinary"/>, or the lock) and finds the images again.
/// </summary>
public sealed class OperatorEmbeddedImages
{
    private readonly Dictionary<string, IReadOnlyList<ImageReference>> _read = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ImageReference> _unread = new(StringComparer.Ordinal);

    /// <summary>Operator images asked about and not read yet.</summary>
    public IReadOnlyCollection<ImageReference> Unread => _unread.Values;

    /// <summary>What the binary of <paramref name="operatorImage"/> was found to embed.</summary>
    public void Add(ImageReference operatorImage, IReadOnlyList<ImageReference> embedded)
    {
        _read[operatorImage.ToString()] = embedded;
        _unread.Remove(operatorImage.ToString());
    }

    /// <summary>
    /// The reference named <paramref name="name"/> that the operator's binary embeds; null when the
    /// operator was not read yet. An operator read that embeds none, or two that differ, is an error.
    /// </summary>
    public ImageReference? Find(ImageReference operatorImage, string name, string gate, string variable, string where)
    {
        if (!_read.TryGetValue(operatorImage.ToString(), out var embedded))
        {
            _unread.TryAdd(operatorImage.ToString(), operatorImage);
            return null;
        }
        var named = embedded.Where(e => e.Repository == name || e.Repository.EndsWith("/" + name, StringComparison.Ordinal)).DistinctBy(e => e.ToString()).ToList();
        if (named.Count == 1)
        {
            return named[0];
        }
        var problem = named.Count == 0
            ? $"{VirtOperatorBinary.File} in {operatorImage} embeds no {name} image reference"
            : $"{VirtOperatorBinary.File} in {operatorImage} embeds {named.Count} different {name} references ({string.Join(", ", named)})";
        throw new KargoException($"{where}: this KubeVirt starts {name} (feature gate {gate}) with the tag its operator embeds, but {problem}. " +
            $"Name the image in spec.images and in the operator's env {variable} (virt-operator then starts that one), " +
            $"or turn it off in the bundled KubeVirt CR: spec.configuration.virtTemplateDeployment.enabled: false, or {gate} in developerConfiguration.disabledFeatureGates");
    }
}
