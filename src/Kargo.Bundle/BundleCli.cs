using System.CommandLine;
using Kargo.Shared;

namespace Kargo.Bundle;

/// <summary>The <c>kargo-bundle</c> command line: parses, calls the library, reports.</summary>
public static class BundleCli
{
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        var root = new RootCommand("""
            kargo-bundle builds Kargo air-gap bundles on a connected host.

            A bundle spec (bundle-specs/*.yaml) names container images (from registries, or from the local
            Docker or Podman engine), the k3s or microk8s, KubeVirt and CDI releases, files and VM disks;
            'lock' pins every tag and URL in images.lock; 'build' fetches exactly those bytes into a local
            cache and writes one reproducible, signed bundle file (or only what an older bundle lacks, with
            --since) to carry to the offline node, with kargo-offline and an install.sh (--offline-bin).
            """)
        {
            LockCommand.Create(stdout, stderr),
            BuildCommand.Create(stdout, stderr),
            InspectCommand.Create(stdout),
            KeygenCommand.Create(stdout),
            SignCommand.Create(stdout),
        };
        return await CliHost.RunAsync(root, "kargo-bundle", args, stdout, stderr, cancellationToken);
    }
}
