using Kargo.Airgap.Install.Kubernetes;
using static Kargo.Airgap.Spec.YamlText;

namespace Kargo.Airgap.Install.Steps;

/// <summary>
/// What kargo sets in the platform's custom resources, one <see cref="IResourceSettings"/> per
/// component that has any (KubeVirt, CDI), each merged with what its resource holds, never
/// replacing it. The other operators (cert-manager, CNAO, HPP, any of spec.manifests) need none:
/// what they register and when they are ready is read from their own manifests and status.
/// </summary>
public sealed class PlatformSettings(params IReadOnlyList<IResourceSettings> components)
{
    public PlatformSettings(IReadOnlyList<string> gates, bool emulation, string? insecureRegistry)
        : this(new KubeVirtSettings(gates, emulation), new CdiSettings(insecureRegistry))
    {
    }

    private IEnumerable<(ManifestObject Resource, IResourceSettings Settings)> Owned(IEnumerable<ManifestObject> objects) =>
        components.SelectMany(c => objects.Where(c.Owns).Select(o => (o, c)));

    /// <summary>The settings of the bundled resources, merged into each as it is applied.</summary>
    public IReadOnlyList<SettingsPatch> For(IEnumerable<ManifestObject> objects) =>
        [.. Owned(objects).Select(o => new SettingsPatch(o.Resource, (cluster, bundled) => Write([o.Settings.Render(o.Resource, cluster, bundled)])))];

    /// <summary>The settings as written to the node's state folder, from the bundled resources alone.</summary>
    public IEnumerable<object> Documents(IEnumerable<ManifestObject> objects) => Owned(objects).Select(o => o.Settings.Render(o.Resource, null, o.Resource.Body));

    public IEnumerable<string> Summary(IEnumerable<ManifestObject> objects) => Owned(objects).Select(o => o.Settings.Summary(o.Resource));
}
