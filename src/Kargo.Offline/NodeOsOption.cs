using System.CommandLine;

namespace Kargo.Offline;

/// <summary>--node-os: what distribution a --root stands in for (a node reads its own /etc/os-release).</summary>
internal static class NodeOsOption
{
    public static Option<string?> Create() => new("--node-os")
    {
        HelpName = "ID[:VERSION]",
        Description = "With --root: the distribution DIR stands in for, as /etc/os-release names it (ubuntu:24.04, fedora:43); default: DIR/etc/os-release",
    };
}
