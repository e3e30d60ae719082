using System.CommandLine;
using Kargo.Shared;

namespace Kargo.Offline;

/// <summary>The <c>kargo-offline</c> command line: parses, calls the library, reports.</summary>
public static class OfflineCli
{
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        var root = new RootCommand("""
            kargo-offline installs a Kargo air-gap bundle on an isolated node.

            'install' does it all: verifies the bundle, serves its images from a local registry, installs k3s,
            KubeVirt and CDI, and leaves an example VM per bundled disk; 'join' adds a further node.
            The parts on their own: 'verify' proves every byte of a bundle is what its signer wrote; 'unpack'
            extracts a verified bundle into an OCI layout; 'serve' makes it a read-only registry and
            'registry-config' points k3s and containerd at it; 'push' and 'load' feed existing registries and engines.
            After install: 'check' says whether every image the cluster names is served by the node's registry.
            Before the stick arrives: 'doctor' checks the node (firmware, OS, firewall, bridge); 'bridge' makes the br0
            bridged VMs need on a node with one NIC.
            """)
        {
            InstallCommand.Create(stdout, stderr),
            JoinCommand.Create(stdout, stderr),
            VerifyCommand.Create(stdout, stderr),
            UnpackCommand.Create(stdout, stderr),
            ServeCommand.Create(stdout, stderr),
            RegistryConfigCommand.Create(stdout),
            PushCommand.Create(stdout, stderr),
            LoadCommand.Create(stdout),
            DoctorCommand.Create(stdout),
            CheckCommand.Create(stdout),
            BridgeCommand.Create(stdout, stderr),
        };
        return await CliHost.RunAsync(root, "kargo-offline", args, stdout, stderr, cancellationToken);
    }
}
