using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Sources.Releases;

/// <summary>
/// KubeVirt: github.com/kubevirt/kubevirt releases publish kubevirt-operator.yaml, kubevirt-cr.yaml
/// and virtctl-VERSION-linux-ARCH. The images come from the operator manifest (VIRT_*_SHASUM).
/// </summary>
public sealed class KubeVirtRelease : IComponentRelease
{
    private const string Repository = "kubevirt/kubevirt";

    public string Name => ComponentNames.KubeVirt;

    public (IReadOnlyList<SpecFile> Files, IReadOnlyList<SpecFile> Manifests) Assets(SpecComponent component, IReadOnlyList<string> architectures, ReleaseHosts hosts)
    {
        SpecFile File(string asset, string name) => new(hosts.GitHubRelease(Repository, component.Version, asset), name, null, component.Line, Name);
        return (
            [.. architectures.Select(arch => File($"virtctl-{component.Version}-linux-{arch}", $"virtctl-linux-{arch}"))],
            [File("kubevirt-operator.yaml", "kubevirt-operator.yaml"), File("kubevirt-cr.yaml", "kubevirt-cr.yaml")]);
    }
}
