using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Sources.Releases;

/// <summary>
/// Expands the components a spec asks for by version into the files and manifests their releases
/// publish. The images come from those manifests (and k3s's airgap tarball), never from names
/// written here.
/// </summary>
public sealed class ReleaseCatalog(string? mirror)
{
    private static readonly IReadOnlyDictionary<string, IComponentRelease> Known =
        new IComponentRelease[] { new K3sRelease(), new Microk8sRelease(), new KubeVirtRelease(), new CdiRelease() }.ToDictionary(r => r.Name);

    /// <summary>Every component a spec asks for by version.</summary>
    public static IEnumerable<IComponentRelease> Components => Known.Values;

    private readonly ReleaseHosts _hosts = new(mirror);

    /// <summary>Upstream hosts or the mirror: chart archives a repository index names absolutely are fetched through it too.</summary>
    public ReleaseHosts Hosts => _hosts;

    /// <summary>
    /// The spec with each component's files and manifests added (at the component's line). With a
    /// mirror, every https URL the spec names (spec.files, spec.manifests, vmImages, chart repositories) is fetched from
    /// it too, so a spec written for the internet builds unchanged from a mirror of its hosts.
    /// </summary>
    public BundleSpec Expand(BundleSpec spec)
    {
        var files = spec.Files.Select(_hosts.Mirrored).ToList();
        var manifests = spec.Manifests.Select(_hosts.Mirrored).ToList();
        var architectures = spec.Platforms.Where(p => p.Os == "linux").Select(p => p.Architecture).Distinct().ToList();
        foreach (var component in spec.Components)
        {
            if (component.OptionalComponents.FirstOrDefault(c => !KubeVirtComponents.OptionalNames.Contains(c)) is { } unknown)
            {
                throw new KargoException($"{spec.Where(component.Line)}: spec.kubevirt.optionalComponents: '{unknown}' is not an optional KubeVirt component; use all, or some of {string.Join(", ", KubeVirtComponents.OptionalNames.Skip(1))}");
            }
            var (componentFiles, componentManifests) = Known[component.Name].Assets(component, architectures, _hosts);
            files.AddRange(componentFiles);
            manifests.AddRange(componentManifests);
        }
        foreach (var group in new[] { files, manifests })
        {
            if (group.GroupBy(f => f.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1) is { } clash)
            {
                throw new KargoException($"{spec.Where(clash.Last().Line)}: '{clash.Key}' is both a release file and a file of the spec; give the spec's a name: of its own");
            }
        }
        return spec with
        {
            Files = files,
            Manifests = manifests,
            VmImages = [.. spec.VmImages.Select(v => v with { Download = _hosts.Mirrored(v.Download) })],
            Charts = [.. spec.Charts.Select(c => c.Repo is { } repo ? c with { Repo = _hosts.Mirrored(repo) } : c)],
        };
    }
}
