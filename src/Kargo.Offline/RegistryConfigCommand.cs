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
        var root = new Option<string>("--root") { HelpName = "DIR", Description = "Write under this folder instead of /", DefaultValueFactory = _ => "/" };
        var creds = new Option<string?>("--creds") { Description = "USER:PASSWORD the local registry wants (written to registries.yaml, mode 0600; never printed)" };
        var skipVerify = new Option<bool>("--insecure-skip-verify") { Description = "Do not check the https endpoint's certificate" };
        var ca = new Option<string?>("--ca") { Description = "The CA file nodes trust for an https endpoint (such as DIR/tls/ca.pem from serve --tls-self-signed)" };
        var command = new Command("registry-config", """
            Write what the node's runtime needs to pull every bundled image through the local registry:
            k3s's etc/rancher/k3s/registries.yaml and containerd's etc/containerd/certs.d/HOST/hosts.toml,
            one mirror for each registry host in the bundle.
            """)
        { folder, endpoint, root, ca, creds, skipVerify };
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
            var written = MirrorConfig.Write(catalog.Registries, uri, parse.GetValue(root)!, caFile, credential, parse.GetValue(skipVerify));
            await stdout.WriteAsync(parse.GetValue(json)
                ? JsonOutput.Of(new RegistryConfigJson([.. catalog.Registries], [.. written]), OfflineJson.Default.RegistryConfigJson)
                : string.Concat(written.Select(file => $"wrote {file}\n")));
            return CliHost.Success;
        });
        return command;
    }
}
