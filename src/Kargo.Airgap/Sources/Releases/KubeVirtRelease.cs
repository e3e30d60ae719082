using System.Text.RegularExpressions;
using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Sources.Releases;

/// <summary>
/// KubeVirt: github.com/kubevirt/kubevirt releases publish kubevirt-operator.yaml, kubevirt-cr.yaml
/// and virtctl-VERSION-linux-ARCH, and from v1.9.0 feature-gates.json. The images come from the
/// operator manifest (what virt-operator derives from its own image), and which optional ones it
/// starts from the gates that file says are GA or Beta (<see cref="KubeVirtFeatureGates"/>).
/// </summary>
public sealed partial class KubeVirtRelease : IComponentRelease
{
    private const string Repository = "kubevirt/kubevirt";

    /// <summary>The release's feature-gates.json as the bundle carries it: files/kubevirt-feature-gates.json, never applied.</summary>
    public const string FeatureGatesFile = "kubevirt-feature-gates.json";

    private static readonly Version FeatureGatesFrom = new(1, 9, 0);

    public string Name => ComponentNames.KubeVirt;

    public string DisplayName => "KubeVirt";

    public (IReadOnlyList<SpecFile> Files, IReadOnlyList<SpecFile> Manifests) Assets(SpecComponent component, IReadOnlyList<string> architectures, ReleaseHosts hosts)
    {
        SpecFile File(string asset, string name) => new(hosts.GitHubRelease(Repository, component.Version, asset), name, null, component.Line, Name);
        List<SpecFile> files = [.. architectures.Select(arch => File($"virtctl-{component.Version}-linux-{arch}", $"virtctl-linux-{arch}"))];
        if (PublishesFeatureGates(component.Version))
        {
            files.Add(File(KubeVirtFeatureGates.Asset, FeatureGatesFile));
        }
        return (files, [File("kubevirt-operator.yaml", "kubevirt-operator.yaml"), File("kubevirt-cr.yaml", "kubevirt-cr.yaml")]);
    }

    /// <summary>
    /// Which assets a release publishes, not what it contains: kubevirt/kubevirt's automation/release.sh
    /// builds and uploads feature-gates.json from v1.9.0 (from its v1.9.0-rc.1; v1.9.0-alpha.0, -beta.0
    /// and -rc.0 have none), so a release from then on is asked for it; what it says is read from it.
    /// </summary>
    public static bool PublishesFeatureGates(string version)
    {
        if (KubeVirtComponents.ParseVersion(version) is not { } release || release < FeatureGatesFrom)
        {
            return false;
        }
        if (release > FeatureGatesFrom || !version.Contains('-', StringComparison.Ordinal))
        {
            return true;
        }
        return ReleaseCandidate().Match(version) is { Success: true } rc && int.Parse(rc.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 1;
    }

    /// <summary>The release's feature-gates.json among the spec's files (as <see cref="ReleaseCatalog.Expand"/> added it), if it asks for KubeVirt by a version that publishes one.</summary>
    public static SpecFile? FeatureGates(BundleSpec spec) =>
        spec.Files.FirstOrDefault(f => f.Component == ComponentNames.KubeVirt && f.Name == FeatureGatesFile);

    [GeneratedRegex(@"^v1\.9\.0-rc\.([0-9]{1,6})\z")]
    private static partial Regex ReleaseCandidate();
}
