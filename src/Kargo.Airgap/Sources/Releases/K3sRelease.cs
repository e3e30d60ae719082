using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Sources.Releases;

/// <summary>
/// k3s: github.com/k3s-io/k3s releases publish the binary (k3s for amd64, k3s-armhf for 32-bit arm, k3s-ARCH otherwise),
/// k3s-airgap-images-ARCH.tar.zst and sha256sum-ARCH.txt; the install script is install.sh at the
/// release's tag on raw.githubusercontent.com.
/// </summary>
public sealed class K3sRelease : IComponentRelease
{
    private const string Repository = "k3s-io/k3s";

    public string Name => ComponentNames.K3s;

    public string DisplayName => "k3s";

    /// <summary>The release's binary: k3s for amd64, k3s-armhf for 32-bit arm, k3s-ARCH otherwise.</summary>
    public static string Binary(string arch) => arch switch
    {
        "amd64" => "k3s",
        "arm" => "k3s-armhf",
        _ => $"k3s-{arch}",
    };

    public static string AirgapImages(string arch) => $"k3s-airgap-images-{arch}.tar.zst";

    public (IReadOnlyList<SpecFile> Files, IReadOnlyList<SpecFile> Manifests) Assets(SpecComponent component, IReadOnlyList<string> architectures, ReleaseHosts hosts)
    {
        SpecFile File(string url, string name) => new(url, name, null, component.Line, Name);
        var files = new List<SpecFile>();
        foreach (var arch in architectures)
        {
            files.Add(File(hosts.GitHubRelease(Repository, component.Version, Binary(arch)), $"k3s-{arch}"));
            files.Add(File(hosts.GitHubRelease(Repository, component.Version, AirgapImages(arch)), AirgapImages(arch)));
            files.Add(File(hosts.GitHubRelease(Repository, component.Version, $"sha256sum-{arch}.txt"), $"k3s-sha256sum-{arch}.txt"));
        }
        files.Add(File(hosts.Url("raw.githubusercontent.com", $"/{Repository}/{Uri.EscapeDataString(component.Version)}/install.sh"), "k3s-install.sh"));
        // The policy for SELinux-enforcing nodes: install.sh would fetch it from rpm.rancher.io, which an offline node cannot reach.
        if (component.Selinux is { } selinux)
        {
            foreach (var rpm in K3sSelinuxRelease.Targets.Select(target => K3sSelinuxRelease.Rpm(selinux, target)))
            {
                files.Add(File(hosts.GitHubRelease(K3sSelinuxRelease.Repository, selinux, rpm), rpm));
            }
        }
        return (files, []);
    }
}
