using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Kargo.Airgap.Bundle;
using Kargo.Airgap.Oci;

namespace Kargo.Airgap.Install;

/// <summary>What the steps of one install (or join) share: the node, the bundle, and where to report.</summary>
public sealed class InstallContext(HostRoot root, Inventory inventory, VerifyReport head, Action<string> log)
{
    public HostRoot Root { get; } = root;
    public HostCommands Commands { get; } = new(root);
    public Inventory Inventory { get; } = inventory;

    /// <summary>The signature and size check done before anything else.</summary>
    public VerifyReport Head { get; } = head;

    public Action<string> Log { get; } = log;

    /// <summary>What the running step did, kept in the state file and the report.</summary>
    public List<string> Details { get; } = [];

    /// <summary>Where the bundle's content lives on the node once unpacked.</summary>
    public string Content => Root.Map(HostRoot.RegistryFolder);

    /// <summary>A bundled file for this node's architecture, such as files/k3s-amd64.</summary>
    public string ContentFile(string name) => Path.Combine(Content, "files", name);

    /// <summary>Notes what the step did: logged now, kept in the state file.</summary>
    public void Did(string what)
    {
        Details.Add(what);
        Log(what);
    }

    /// <summary>Writes a file to the node and notes it.</summary>
    public void Write(string nodePath, string content, UnixFileMode mode)
    {
        Root.WriteFile(nodePath, System.Text.Encoding.UTF8.GetBytes(content), mode);
        Did($"wrote {nodePath}");
    }

    /// <summary>Copies a file to the node and notes it (or that it was already there).</summary>
    public void Copy(string source, string nodePath, UnixFileMode mode)
    {
        var copied = Root.CopyFile(source, nodePath, mode);
        Did(copied ? $"wrote {nodePath}" : $"kept {nodePath} (already the same)");
    }

    public Task<string> RunAsync(HostCommand command, CancellationToken cancellationToken)
    {
        Details.Add((Root.IsRecording ? "recorded: " : "ran: ") + command);
        return Commands.RunAsync(command, Log, cancellationToken);
    }

    /// <summary>amd64 or arm64, as platforms are named in bundles.</summary>
    public static string NodeArchitecture => Platform.HostArchitecture;

    /// <summary>The hosts the node's runtime mirrors through the local registry: every registry of the bundle's images, and kargo.local (VM disks).</summary>
    public IReadOnlyList<string> MirroredHosts =>
        [.. Inventory.Images.Select(i => ImageReference.Parse(i.Reference).Registry).Append(Spec.SpecVmImage.Registry).Distinct().Order(StringComparer.Ordinal)];

    /// <summary>
    /// The registry's address as other machines (pods, a second node) reach it: a wildcard listen
    /// address is replaced by the node's first non-loopback IPv4 address.
    /// </summary>
    public static string Reachable(IPEndPoint listen)
    {
        if (!listen.Address.Equals(IPAddress.Any) && !listen.Address.Equals(IPAddress.IPv6Any))
        {
            return listen.ToString();
        }
        var address = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? IPAddress.Loopback;
        return new IPEndPoint(address, listen.Port).ToString();
    }
}
