using System.Text.RegularExpressions;

namespace Kargo.Airgap.Spec;

/// <summary>
/// The shapes names take, checked where a spec is read and again where a bundle's inventory is:
/// each is safe as a path part, a file name and a terminal line.
/// </summary>
public static partial class Names
{
    /// <summary>metadata.name: names the bundle file and its record folder.</summary>
    [GeneratedRegex("^[a-z][a-z0-9-]{0,62}\\z")]
    public static partial Regex BundleName();

    /// <summary>metadata.version: names the bundle file too.</summary>
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}\\z")]
    public static partial Regex BundleVersion();

    /// <summary>A bundle entry's file name (spec.files, spec.manifests).</summary>
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}\\z")]
    public static partial Regex FileName();

    /// <summary>A Kubernetes namespace (RFC 1123 label).</summary>
    [GeneratedRegex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\z")]
    public static partial Regex Namespace();

    /// <summary>A release version: v1.3.0, v1.30.4+k3s1.</summary>
    [GeneratedRegex(@"^v[0-9]+\.[0-9]+\.[0-9]+(?:[-+][A-Za-z0-9.+-]+)?\z")]
    public static partial Regex ReleaseVersion();

    /// <summary>A snap channel: 1.30/stable.</summary>
    [GeneratedRegex(@"^(latest|[0-9]+\.[0-9]+(-[a-z0-9]+)?)(/(stable|candidate|beta|edge))?\z")]
    public static partial Regex SnapChannel();

    /// <summary>A KubeVirt feature gate, a component or rule name: letters, digits and '-'.</summary>
    [GeneratedRegex("^[A-Za-z][A-Za-z0-9-]{0,62}\\z")]
    public static partial Regex Word();

    /// <summary>A Helm chart name: lowercase letters, digits and '-' (Helm's naming convention; also a file name here).</summary>
    [GeneratedRegex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\z")]
    public static partial Regex ChartName();

    /// <summary>A chart version: a semantic version, with an optional leading v (1.16.2, v1.21.1, 1.0.0-rc.1+build.5).</summary>
    [GeneratedRegex(@"^v?[0-9]+\.[0-9]+\.[0-9]+(?:[-+][A-Za-z0-9.+-]{1,60})?\z")]
    public static partial Regex ChartVersion();

    /// <summary>A Helm release name: a DNS label of at most 53 characters (Helm's own limit).</summary>
    [GeneratedRegex("^[a-z0-9]([a-z0-9-]{0,51}[a-z0-9])?\\z")]
    public static partial Regex ReleaseName();

    /// <summary>A k3s-selinux release tag, vX.Y.CHANNEL.N (the shape its scripts/version accepts).</summary>
    [GeneratedRegex(@"^v(?<version>[0-9]+\.[0-9]+)\.(?<channel>stable|latest|testing)\.(?<release>[0-9]+)\z")]
    public static partial Regex K3sSelinuxTag();

    [GeneratedRegex("^[a-f0-9]{64}\\z")]
    public static partial Regex Sha256();
}
