using System.CommandLine;
using Kargo.Airgap;
using Kargo.Airgap.Install.Kubernetes;
using Kargo.Airgap.Install.Steps;
using Kargo.Airgap.Registry;
using Kargo.Shared;

namespace Kargo.Offline;

internal static class CheckCommand
{
    public static Command Create(TextWriter stdout)
    {
        var root = new Option<string>("--root") { HelpName = "DIR", Description = "The node's / (its mirror configuration and kubeconfig are read under DIR)", DefaultValueFactory = _ => "/" };
        var kubeconfig = new Option<string?>("--kubeconfig")
        {
            HelpName = "FILE",
            Description = $"The cluster to check (default: the one the node's distribution leaves under --root: k3s's {K3sFiles.Kubeconfig}, microk8s's {Microk8sFiles.Kubeconfig})",
        };
        var registry = new Option<string?>("--registry")
        {
            HelpName = "URL",
            Description = "Check every image against this registry (http(s)://HOST[:PORT]) instead of the mirrors the node's runtime is configured with",
        };
        var json = OutputOptions.Json("every image, where it would come from and what names it");
        var command = new Command("check", $"""
            After install, nothing pulls from outside: list every image that the cluster's Pods, Deployments, DaemonSets,
            StatefulSets, ReplicaSets, Jobs, CronJobs and custom resources name — containers, init and ephemeral containers,
            operators' *_IMAGE variables and --*-image arguments, the images virt-operator derives, VirtualMachine
            containerDisk volumes and DataVolume registry sources (docker://…) — and ask, for each, the registry the node's
            runtime pulls its registry through (k3s's {K3sFiles.Registries}, microk8s's or containerd's certs.d/HOST/hosts.toml
            under --root): a manifest request by tag or digest, as containerd makes it.
            Lines: OK (a mirror serves it), ON-NODE (no mirror has it but a pod already runs it: k3s's airgap images),
            OUTSIDE (its registry has no mirror, the mirror answers 404 or cannot be asked, or CDI's importer fetches it
            itself: it would be pulled from outside), each with the objects that name it. Exits 1 when any image would be
            pulled from outside.
            """)
        { root, kubeconfig, registry, json };
        command.SetAction(async (parse, ct) =>
        {
            var rootDir = parse.GetValue(root)!;
            var mirrors = parse.GetValue(registry) is { } url ? NodeMirrors.Everything(RegistryUrl(url)) : NodeMirrors.Read(rootDir);
            using var api = KubeApi.FromKubeconfig(parse.GetValue(kubeconfig) ?? DefaultKubeconfig(rootDir));
            var report = await ImageCheck.RunAsync(api, mirrors, ct);
            if (parse.GetValue(json))
            {
                await stdout.WriteAsync(JsonOutput.Of(new CheckJson(
                    report.Ok,
                    report.Mirrors,
                    report.Objects,
                    [.. report.Images.Select(i => new CheckedImageJson(i.Reference, i.Ok, StateName(i.State), i.Detail, i.NamedBy))],
                    report.Problems,
                    report.Notes), OfflineJson.Default.CheckJson));
            }
            else
            {
                foreach (var line in report.Lines())
                {
                    // Image and object names come from the cluster: printable only.
                    await stdout.WriteLineAsync(Terminal.Printable(line));
                }
            }
            return report.Ok ? CliHost.Success : CliHost.Failure;
        });
        return command;
    }

    private static string StateName(ImageState state) => state switch
    {
        ImageState.OnNode => "on-node",
        ImageState.NoMirror => "no-mirror",
        _ => state.ToString().ToLowerInvariant(),
    };

    private static Uri RegistryUrl(string text)
    {
        var withScheme = text.Contains("://", StringComparison.Ordinal) ? text : $"http://{text}";
        return Uri.TryCreate(withScheme, UriKind.Absolute, out var url) && url.Scheme is "http" or "https"
            ? url
            : throw new KargoException($"--registry '{Terminal.Printable(text)}' is not http(s)://HOST[:PORT]");
    }

    /// <summary>The kubeconfig the node's distribution leaves, under the root.</summary>
    private static string DefaultKubeconfig(string root)
    {
        var path = NodeRuntimes.Detect(root) switch
        {
            NodeRuntime.K3s => K3sFiles.Kubeconfig,
            NodeRuntime.Microk8s => Microk8sFiles.Kubeconfig,
            _ => throw new KargoException($"no k3s or microk8s under {root}: give --kubeconfig of the cluster to check"),
        };
        return Path.Combine(root, path.TrimStart('/'));
    }
}
