using System.CommandLine;
using Kargo.Airgap.Install;
using Kargo.Shared;

namespace Kargo.Offline;

internal static class JoinCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var bundle = new Argument<string>("BUNDLE") { Description = "The bundle the first node was installed from" };
        var server = new Option<string>("--server") { HelpName = "URL", Description = "The first node's API, https://HOST:6443", Required = true };
        var token = new Option<string>("--token-file") { HelpName = "FILE", Description = "A copy of the first node's /var/lib/rancher/k3s/server/node-token (kept mode 0600, never printed)", Required = true };
        var registry = new Option<string?>("--addr") { HelpName = "HOST:PORT", Description = "The first node's registry, HOST:PORT (its install prints it)" };
        var oldRegistry = new Renamed<string?>("--registry-addr", "--addr");
        var root = new Option<string>("--root") { HelpName = "DIR", Description = "Write the node's files under DIR instead of /, and record the commands instead of running them", DefaultValueFactory = _ => "/" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the plan; change nothing" };
        var json = OutputOptions.Json();
        var quiet = OutputOptions.Quiet();
        var trust = new TrustOptions();
        var nodeOs = NodeOsOption.Create();
        var command = new Command("join", """
            Add this node to the cluster of a node installed with 'kargo-offline install', with no network but the
            link between them: the k3s agent from the same bundle, its mirrors pointed at the first node's registry.
            Resumable like install (state in /var/lib/kargo/join-state.json).
            """)
        { bundle, server, token, registry, oldRegistry.Option, root, dryRun, json, quiet, nodeOs };
        trust.AddTo(command);
        command.Validators.Add(result =>
        {
            if (result.GetValue(server) is { } url && (!Uri.TryCreate(url, UriKind.Absolute, out var parsed) || parsed.Scheme != "https"))
            {
                result.AddError($"--server '{url}' must be the first node's API, https://HOST:6443");
            }
            if (result.GetValue(registry) is null && result.GetValue(oldRegistry.Option) is null)
            {
                result.AddError("--addr HOST:PORT of the first node's registry is required (its install prints it)");
            }
        });
        command.SetAction(async (parse, ct) =>
        {
            using var keys = trust.Load(parse, stderr);
            var address = oldRegistry.Used(parse, stderr) ? parse.GetValue(oldRegistry.Option)! : parse.GetValue(registry)!;
            if (Uri.CheckHostName(address.Split(':')[0]) == UriHostNameType.Unknown || !address.Contains(':', StringComparison.Ordinal))
            {
                throw new Airgap.KargoException($"--addr '{address}' must be HOST:PORT of the first node's registry, such as 192.168.1.10:5000");
            }
            var options = new JoinOptions(parse.GetValue(bundle)!, keys, parse.GetValue(root)!, new Uri(parse.GetValue(server)!), parse.GetValue(token)!, address, NodeOs: parse.GetValue(nodeOs));
            var result = await ConsoleProgress.RunAsync(stderr, parse.GetValue(quiet), progress =>
                NodeInstall.JoinAsync(options with { Phases = progress?.Phases }, parse.GetValue(dryRun), progress is null ? _ => { }
            : progress.Log, ct));
            await stdout.WriteAsync(parse.GetValue(json) ? InstallReport.Json(result, parse.GetValue(dryRun)) : InstallReport.Text(result, parse.GetValue(dryRun)));
            return CliHost.Success;
        });
        return command;
    }
}
