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

            A bundle spec (bundle-specs/*.yaml) names container images; 'lock' pins every tag to
            a digest in images.lock; 'build' fetches exactly those bytes into a local cache and
            writes one reproducible bundle file to carry to the offline node.
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
