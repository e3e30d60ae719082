using System.CommandLine;
using Kargo.Airgap.Install;
using Kargo.Airgap.Install.Node;
using Kargo.Shared;

namespace Kargo.Offline;

internal static class BridgeCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var nic = new Option<string?>("--nic") { HelpName = "NIC", Description = "The wired NIC whose address moves onto the bridge (see 'ip link'; doctor names the candidates)" };
        var name = new Option<string>("--bridge") { HelpName = "NAME", Description = "The bridge to create (the one the bundle's NetworkAttachmentDefinition names)", DefaultValueFactory = _ => NetworkChecks.DefaultBridge };
        var apply = new Option<bool>("--apply") { Description = "Write the files and apply them (keeping a rollback copy in /var/lib/kargo/bridge-rollback); without it, only print" };
        var rollback = new Option<bool>("--rollback") { Description = "Put the network configuration back as it was before --apply, remove the bridge and apply" };
        var root = new Option<string>("--root") { HelpName = "DIR", Description = "Work on DIR standing in for /: files under it, commands recorded in DIR/var/lib/kargo/commands.log", DefaultValueFactory = _ => "/" };
        var nodeOs = NodeOsOption.Create();
        var command = new Command("bridge", """
            Give bridged VMs the home LAN on a node with one NIC: the node's address moves onto a bridge (br0) with the
            NIC in it. Prints the netplan file (Ubuntu, Debian) or NetworkManager keyfiles (Fedora, RHEL-likes) it would
            write; --apply writes them and applies, keeping a copy to undo with --rollback. Run it from the console,
            not over SSH through that NIC: the connection drops while the address moves.
            """)
        { nic, name, apply, rollback, root, nodeOs };
        command.Validators.Add(result =>
        {
            if (result.GetValue(rollback) && (result.GetValue(apply) || result.GetValue(nic) is not null))
            {
                result.AddError("--rollback goes alone: it undoes the last --apply");
            }
            else if (!result.GetValue(rollback) && result.GetValue(nic) is null)
            {
                result.AddError("--nic NIC is required: the wired NIC whose address moves onto the bridge ('kargo-offline doctor' names the candidates)");
            }
        });
        command.SetAction(async (parse, ct) =>
        {
            var host = new HostRoot(parse.GetValue(root)!);
            Action<string> log = line => stderr.WriteLine(line);
            if (parse.GetValue(rollback))
            {
                foreach (var line in await BridgeChange.RollbackAsync(host, log, ct))
                {
                    await stdout.WriteLineAsync(line);
                }
                return CliHost.Success;
            }
            var os = NodeOs.Read(host, parse.GetValue(nodeOs));
            var plan = BridgeConfig.Plan(host, os, parse.GetValue(nic)!, parse.GetValue(name)!);
            plan.Notes.ToList().ForEach(n => stdout.WriteLine($"# {n}"));
            if (!parse.GetValue(apply))
            {
                foreach (var file in plan.Files)
                {
                    await stdout.WriteLineAsync($"# {file.Path} (mode {Convert.ToString((int)file.Mode, 8)})");
                    await stdout.WriteAsync(file.Content.EndsWith('\n') ? file.Content : file.Content + "\n");
                }
                await stdout.WriteLineAsync($"# then: {string.Join("; ", plan.Apply)}");
                await stdout.WriteLineAsync("# nothing was changed: run again with --apply to write and apply this (a copy to undo it is kept)");
                return CliHost.Success;
            }
            foreach (var line in await BridgeChange.ApplyAsync(host, plan, log, ct))
            {
                await stdout.WriteLineAsync(line);
            }
            await stdout.WriteLineAsync($"undo with: kargo-offline bridge --rollback{(host.IsRecording ? $" --root {host.Root}" : "")}");
            return CliHost.Success;
        });
        return command;
    }
}
