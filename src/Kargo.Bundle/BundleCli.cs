using System.CommandLine;
using Kargo.Airgap;

namespace Kargo.Bundle;

/// <summary>The <c>kargo-bundle</c> command line: parses, calls the library, reports.</summary>
public static class BundleCli
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int UsageError = 2;
    public const int Interrupted = 130;

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
        };
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await stderr.WriteLineAsync($"error: {error.Message}");
            }
            await stderr.WriteLineAsync("Run 'kargo-bundle --help' for usage.");
            return UsageError;
        }
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false }, cancellationToken);
        }
        catch (KargoException e)
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            return Failure;
        }
        catch (OperationCanceledException)
        {
            await stderr.WriteLineAsync("interrupted: nothing was written to the output; a later run resumes the downloads");
            return Interrupted;
        }
    }
}
