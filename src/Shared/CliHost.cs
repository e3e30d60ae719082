using System.CommandLine;
using Kargo.Airgap;

namespace Kargo.Shared;

/// <summary>
/// What both programs do around their commands: usage errors exit 2, failures print one
/// "error: …" line and exit 1, an interrupt exits 130. Compiled into each program.
/// </summary>
internal static class CliHost
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int UsageError = 2;
    public const int Interrupted = 130;

    public static async Task<int> RunAsync(RootCommand root, string program, string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await stderr.WriteLineAsync($"error: {error.Message}");
            }
            await stderr.WriteLineAsync($"Run '{program} --help' for usage.");
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
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A file that cannot be read or written: its message names the path.
            await stderr.WriteLineAsync($"error: {e.Message}");
            return Failure;
        }
        catch (OperationCanceledException)
        {
            await stderr.WriteLineAsync("interrupted: nothing was written to the output; a later run picks up where this one stopped");
            return Interrupted;
        }
    }
}
