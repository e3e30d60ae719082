using Kargo.Airgap.Bundle;

namespace Kargo.Airgap.Install.Node;

public enum SelinuxMode
{
    Disabled,
    Permissive,
    Enforcing,
}

/// <summary>SELinux on the node, and the k3s-selinux policy a k3s install needs when it enforces.</summary>
public static class NodeSelinux
{
    /// <summary>selinuxfs: 1 when enforcing, 0 when permissive; absent when SELinux is off.</summary>
    public const string EnforceFile = "/sys/fs/selinux/enforce";

    /// <summary>Installed by container-selinux (its spec's %files), which k3s-selinux requires.</summary>
    public const string ContainerSelinuxMarker = "/usr/share/containers/selinux/contexts";

    public static SelinuxMode Mode(HostRoot root)
    {
        var path = root.Map(EnforceFile);
        return !File.Exists(path) ? SelinuxMode.Disabled : File.ReadAllText(path).Trim() == "1" ? SelinuxMode.Enforcing : SelinuxMode.Permissive;
    }

    public static bool ContainerSelinuxInstalled(HostRoot root) => Directory.Exists(root.Map(ContainerSelinuxMarker)) || File.Exists(root.Map(ContainerSelinuxMarker));

    /// <summary>The k3s-selinux target k3s's install.sh picks: el7 for 7, el8 for 8 and for VERSION_ID above 36 (Fedora), el9 otherwise.</summary>
    public static string RpmTarget(NodeOs os)
    {
        var major = os.VersionId.Split('.')[0];
        return major switch
        {
            "7" => "el7",
            "8" => "el8",
            _ when int.TryParse(major, out var number) && number > 36 => "el8",
            _ => "el9",
        };
    }

    /// <summary>The bundle's files/ entry holding the policy for this node, if it carries one.</summary>
    public static string? BundledRpm(Inventory inventory, NodeOs os)
    {
        var target = RpmTarget(os);
        return inventory.Entries.Concat(inventory.Base?.Entries ?? [])
            .Select(e => e.Path)
            .Where(p => BundleLayout.IsIn(p, BundleLayout.FilesFolder))
            .Select(p => BundleLayout.NameIn(p, BundleLayout.FilesFolder))
            .FirstOrDefault(name => Sources.Releases.K3sSelinuxRelease.RpmName().Match(name) is { Success: true } m && m.Groups["target"].Value == target);
    }
}
