using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Sources.Releases;

/// <summary>
/// CDI: github.com/kubevirt/containerized-data-importer releases publish cdi-operator.yaml and
/// cdi-cr.yaml. The images come from the operator manifest (CONTROLLER_IMAGE, IMPORTER_IMAGE…).
/// </summary>
public sealed partial class CdiRelease : IComponentRelease
{
    private const string Repository = "kubevirt/containerized-data-importer";

    public string Name => ComponentNames.Cdi;

    public string DisplayName => "CDI";

    public (IReadOnlyList<SpecFile> Files, IReadOnlyList<SpecFile> Manifests) Assets(SpecComponent component, IReadOnlyList<string> architectures, ReleaseHosts hosts)
    {
        SpecFile File(string asset) => new(hosts.GitHubRelease(Repository, component.Version, asset), asset, null, component.Line, Name);
        return ([], [File("cdi-operator.yaml"), File("cdi-cr.yaml")]);
    }
}
