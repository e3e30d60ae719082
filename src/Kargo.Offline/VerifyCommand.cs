using System.CommandLine;
using Kargo.Airgap.Bundle;
using Kargo.Shared;

namespace Kargo.Offline;

internal static class VerifyCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var bundle = new Argument<string>("BUNDLE") { Description = "The bundle file, its first part, or its base name" };
        var json = OutputOptions.Json("the report");
        var quiet = OutputOptions.Quiet();
        var trust = new TrustOptions();
        var command = new Command("verify", "Check a bundle's signature and every entry's size and sha256 in one pass. Exit 0 only if all of it holds.") { bundle, json, quiet };
        trust.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            using var keys = trust.Load(parse, stderr);
            var report = await ConsoleProgress.RunAsync(stderr, parse.GetValue(quiet), progress =>
                Task.FromResult(BundleVerifier.Verify(parse.GetValue(bundle)!, keys, null, ct, progress?.Phases)));
            await stdout.WriteAsync(parse.GetValue(json) ? ReportWriter.Json(report) : ReportWriter.Text(report, "verify"));
            return report.Ok ? CliHost.Success : CliHost.Failure;
        });
        return command;
    }
}
