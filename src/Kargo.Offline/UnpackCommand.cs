using System.CommandLine;
using Kargo.Airgap.Bundle;
using Kargo.Shared;

namespace Kargo.Offline;

internal static class UnpackCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var bundle = new Argument<string>("BUNDLE") { Description = "The bundle file, its first part, or its base name" };
        var destination = new Option<string>("--to") { HelpName = "DIR", Description = "The folder to unpack into (an OCI layout in oci/; earlier bundles there are kept)", Required = true };
        var json = OutputOptions.Json("the report");
        var quiet = OutputOptions.Quiet();
        var trust = new TrustOptions();
        var command = new Command("unpack", """
            Verify a bundle and extract it into --to: oci/ (merged with what is there, blobs shared by digest),
            the other folders, and bundles/NAME-VERSION/ with the inventory, signature, spec and lock.
            Nothing is placed unless the whole bundle verifies.
            """)
        { bundle, destination, json, quiet };
        trust.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            using var keys = trust.Load(parse, stderr);
            var report = await ConsoleProgress.RunAsync(stderr, parse.GetValue(quiet), progress =>
                Task.FromResult(BundleUnpacker.Unpack(parse.GetValue(bundle)!, keys, parse.GetValue(destination)!, ct, phases: progress?.Phases)));
            await stdout.WriteAsync(parse.GetValue(json) ? ReportWriter.Json(report) : ReportWriter.Text(report, "unpack"));
            if (report.Ok && !parse.GetValue(quiet))
            {
                await stderr.WriteLineAsync($"unpacked into {Path.GetFullPath(parse.GetValue(destination)!)}");
            }
            return report.Ok ? CliHost.Success : CliHost.Failure;
        });
        return command;
    }
}
