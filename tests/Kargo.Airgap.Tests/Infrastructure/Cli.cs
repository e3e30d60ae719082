using Kargo.Bundle;
using Kargo.Offline;

namespace Kargo.Airgap.Tests.Infrastructure;

/// <summary>Runs kargo-bundle's command line in-process and keeps what it printed.</summary>
public static class Cli
{
    public static async Task<ProcessResult> BundleAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await BundleCli.RunAsync(args, stdout, stderr);
        return new ProcessResult(code, stdout.ToString(), stderr.ToString());
    }

    public static async Task<ProcessResult> OfflineAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await OfflineCli.RunAsync(args, stdout, stderr);
        return new ProcessResult(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Fails with everything the command printed when it did not succeed.</summary>
    public static ProcessResult AssertOk(ProcessResult result)
    {
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Output}");
        return result;
    }
}
