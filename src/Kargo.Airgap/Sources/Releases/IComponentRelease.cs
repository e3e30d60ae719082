using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Sources.Releases;

/// <summary>
/// A platform component asked for by version, one type each (k3s, microk8s, KubeVirt, CDI): its spec
/// key, the files and manifests its release publishes, and, where kargo sets fields in its custom
/// resource, those settings (<see cref="IResourceSettings"/>). The images come from its manifests.
/// </summary>
public interface IComponentRelease
{
    /// <summary>The spec's name for it: k3s, kubevirt, cdi.</summary>
    string Name { get; }

    /// <summary>Its name as people write it: KubeVirt, CDI.</summary>
    string DisplayName { get; }

    /// <summary>The release's files (to files/) and manifests (to manifests/) for these architectures.</summary>
    (IReadOnlyList<SpecFile> Files, IReadOnlyList<SpecFile> Manifests) Assets(SpecComponent component, IReadOnlyList<string> architectures, ReleaseHosts hosts);
}

/// <summary>Upstream hosts, or a mirror that keeps them as its first folder (MIRROR/github.com/…).</summary>
public sealed class ReleaseHosts(string? mirror)
{
    public string Url(string host, string path) =>
        mirror is null ? $"https://{host}{path}" : $"{mirror.TrimEnd('/')}/{host}{path}";

    /// <summary>A URL of the spec as the mirror serves it (https://HOST/PATH is MIRROR/HOST/PATH); unchanged without a mirror.</summary>
    public SpecFile Mirrored(SpecFile file) => file.IsUrl ? file with { Source = Mirrored(file.Source) } : file;

    /// <summary>An https URL as the mirror serves it; anything else, or without a mirror, unchanged.</summary>
    public string Mirrored(string url) =>
        mirror is not null && Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme == "https" ? Url(uri.Authority, uri.PathAndQuery) : url;

    /// <summary>A GitHub release asset: github.com/REPOSITORY/releases/download/VERSION/ASSET.</summary>
    public string GitHubRelease(string repository, string version, string asset) =>
        Url("github.com", $"/{repository}/releases/download/{Uri.EscapeDataString(version)}/{asset}");
}
