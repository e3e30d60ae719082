using System.CommandLine;
using Kargo.Airgap.Bundle;
using Kargo.Airgap.Install;
using Kargo.Airgap.Install.Node;
using Kargo.Airgap.Registry;
using Kargo.Shared;

namespace Kargo.Offline;

internal static class DoctorCommand
{
    public static Command Create(TextWriter stdout)
    {
        var bundle = new Argument<string?>("BUNDLE") { Description = "The bundle to check the node against (optional: without it, only the node's own checks)", Arity = ArgumentArity.ZeroOrOne };
        var root = new Option<string>("--root") { HelpName = "DIR", Description = "Check DIR standing in for the node's / (its /proc, /sys and /etc stand-ins)", DefaultValueFactory = _ => "/" };
        var nodeOs = NodeOsOption.Create();
        var address = new Option<string>("--addr") { HelpName = "IP:PORT", Description = "IP:PORT the embedded registry will listen on", DefaultValueFactory = _ => "0.0.0.0:5000" }.Endpoint();
        var json = OutputOptions.Json("every check");
        var command = new Command("doctor", """
            Check this node before the bundle arrives, or before installing it: what to fix in the firmware (VT-x/AMD-V,
            VT-d) or the OS (SELinux policy, firewall ports, a bridge for bridged VMs, the clock), as PASS, WARN and FAIL
            lines — the same checks install's preflight makes. Changes nothing. Exits 1 when any check fails.
            """)
        { bundle, root, nodeOs, address, json };
        command.SetAction(async parse =>
        {
            var host = new HostRoot(parse.GetValue(root)!);
            var path = parse.GetValue(bundle);
            var summary = path is null ? null : BundleReader.ReadSummary(path);
            var os = NodeOs.Read(host, parse.GetValue(nodeOs));
            var checks = NodeChecks.Run(new NodeCheckInput(host, os, summary?.Inventory, summary is null ? null : BundleFiles.Locate(path!).Paths[0], ServerOptions.ParseAddress(parse.GetValue(address)!), null));
            if (parse.GetValue(json))
            {
                await stdout.WriteAsync(JsonOutput.Of(new DoctorJson(
                    checks.All(c => c.Outcome != CheckOutcome.Fail),
                    os.Id,
                    os.VersionId,
                    os.Family.ToString().ToLowerInvariant(),
                    summary is null ? null : $"{summary.Inventory.Name} {summary.Inventory.Version}",
                    [.. checks.Select(c => new DoctorCheckJson(c.Name, c.Outcome.ToString().ToLowerInvariant(), c.Message))]), OfflineJson.Default.DoctorJson));
            }
            else
            {
                await stdout.WriteLineAsync(summary is null ? $"node: {os} (no bundle: the node's own checks)" : $"node: {os}; bundle {summary.Inventory.Name} {summary.Inventory.Version}");
                foreach (var check in checks)
                {
                    await stdout.WriteLineAsync(check.ToString());
                }
                var failed = checks.Count(c => c.Outcome == CheckOutcome.Fail);
                var warned = checks.Count(c => c.Outcome == CheckOutcome.Warn);
                await stdout.WriteLineAsync(failed > 0 ? $"{failed} check(s) fail: install would stop at preflight; fix them first" : $"nothing stops an install{(warned > 0 ? $" ({warned} warning(s) above)" : "")}");
            }
            return checks.Any(c => c.Outcome == CheckOutcome.Fail) ? CliHost.Failure : CliHost.Success;
        });
        return command;
    }
}
