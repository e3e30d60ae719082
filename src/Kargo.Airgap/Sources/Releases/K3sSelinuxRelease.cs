using System.Text.RegularExpressions;
using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Sources.Releases;

/// <summary>
/// k3s's SELinux policy, github.com/k3s-io/k3s-selinux: a release tagged vX.Y.CHANNEL.N publishes
/// k3s-selinux-X.Y-N.TARGET.noarch.rpm per target (scripts/version and policy/centosN/k3s-selinux.spec,
/// whose Release is N.elN; the release workflow uploads dist/OS/noarch/*). k3s's install.sh picks
/// the target from /etc/os-release: el8 for RHEL-likes 8 and for Fedora (VERSION_ID above 36),
/// el9 for the others; the bundle carries both.
/// </summary>
public static partial class K3sSelinuxRelease
{
    public const string Repository = "k3s-io/k3s-selinux";

    /// <summary>The targets the bundle carries, as k3s's install.sh names them.</summary>
    public static readonly IReadOnlyList<string> Targets = ["el8", "el9"];

    /// <summary>A bundled policy RPM's file name.</summary>
    [GeneratedRegex(@"^k3s-selinux-[0-9]+\.[0-9]+-[0-9]+\.(?<target>el[0-9]+)\.noarch\.rpm\z")]
    public static partial Regex RpmName();

    /// <summary>The RPM a tag publishes for a target: v1.6.stable.1, el9 is k3s-selinux-1.6-1.el9.noarch.rpm.</summary>
    public static string Rpm(string tag, string target)
    {
        var match = Names.K3sSelinuxTag().Match(tag);
        return match.Success ? $"k3s-selinux-{match.Groups["version"].Value}-{match.Groups["release"].Value}.{target}.noarch.rpm" : throw new ArgumentException($"'{tag}' is not a k3s-selinux release tag", nameof(tag));
    }
}
