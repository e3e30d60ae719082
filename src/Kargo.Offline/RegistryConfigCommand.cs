using System.CommandLine;
using Kargo.Airgap.Registry;
using Kargo.Shared;

namespace Kargo.Offline;

internal static class RegistryConfigCommand
{
    public static Command Create(TextWriter stdout)
    {
        var folder = new Argument<string>("DIR") { Description = "A folder a bundle was unpacked into (or an OCI layout)" };
        var endpoint = new Option<string>("--endpoint") { HelpName = "URL", Description = "The local registry as the node reaches it, such as http://127.0.0.1:5000", Required = true };
        var root = new Option<string?>("--root") { HelpName = "DIR", Description = "Write under this folder instead of / (for --for talos: the folder of the patch file, default the current one)" };
        var runtime = new Option<string?>("--for")
        {
            HelpName = "RUNTIME",
            Description = "The node's runtime: k3s (registries.yaml), containerd or microk8s (certs.d/HOST/hosts.toml), crio (a registries.conf.d drop-in CRI-O and podman read) or talos (machine-config documents for 'talosctl patch mc'). Default: the one found under --root; if none is, the k3s and containerd files",
        };
        var talosVersion = new Option<string?>("--talos-version") { HelpName = "X.Y", Description = "With --for talos: the node's Talos release; before 1.12 a machine.registries patch is written instead of the registry documents (default: 1.12 and later)" };
        var creds = new Option<string?>("--creds") { Description = "USER:PASSWORD the local registry wants (written to registries.yaml, mode 0600; never printed)" };
        var skipVerify = new Option<bool>("--insecure-skip-verify") { Description = "Do not check the https endpoint's certificate" };
        var ca = new Option<string?>("--ca") { Description = "The CA file nodes trust for an https endpoint (such as DIR/tls/ca.pem from serve --tls-self-signed)" };
        var command = new Command("registry-config", """
            Write what the node's runtime needs to pull every bundled image through the local registry under its
            upstream name, one mirror for each registry host in the bundle: k3s's etc/rancher/k3s/registries.yaml,
            containerd's (and microk8s's) certs.d/HOST/hosts.toml, CRI-O's and podman's
            etc/containers/registries.conf.d/50-kargo-mirrors.conf, or Talos machine-config documents.
            """)
        { folder, endpoint, runtime, root, ca, creds, skipVerify, talosVersion };
        var json = OutputOptions.Json("the files written");
        command.Add(json);
        command.SetAction(async parse =>
        {
            if (!Uri.TryCreate(parse.GetValue(endpoint), UriKind.Absolute, out var uri))
            {
                throw new Kargo.Airgap.KargoException($"--endpoint '{parse.GetValue(endpoint)}' is not a URL such as http://127.0.0.1:5000");
            }
            var catalog = await LayoutCatalog.LoadAsync(parse.GetValue(folder)!);
            var caFile = parse.GetValue(ca) is { } path ? Path.GetFullPath(path) : null;
            var credential = parse.GetValue(creds) is { } pair ? Credential.Parse(pair, "--creds") : null;
            var given = parse.GetValue(runtime) is { } name ? NodeRuntimes.Parse(name) : (NodeRuntime?)null;
            var target = parse.GetValue(root) ?? (given == NodeRuntime.Talos ? "." : "/");
            var chosen = given ?? NodeRuntimes.Detect(target);
            var talos = parse.GetValue(talosVersion) is { } version
                ? Version.TryParse(version.TrimStart('v'), out var parsed) ? parsed : throw new Kargo.Airgap.KargoException($"--talos-version '{version}' is not a release such as 1.11 or 1.12")
                : null;
            var written = MirrorConfig.Write(catalog.Registries, uri, target, caFile, credential, parse.GetValue(skipVerify), chosen, talos);
            await stdout.WriteAsync(parse.GetValue(json)
                ? JsonOutput.Of(new RegistryConfigJson([.. catalog.Registries], [.. written]), OfflineJson.Default.RegistryConfigJson)
                : string.Concat(written.Select(file => $"wrote {file}\n")) + (chosen == NodeRuntime.Talos ? $"apply it with: talosctl patch mc --patch @{written[^1]}\n" : ""));
            return CliHost.Success;
        });
        return command;
    }
}
