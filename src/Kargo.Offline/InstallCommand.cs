using System.CommandLine;
using Kargo.Airgap.Install;
using Kargo.Airgap.Registry;
using Kargo.Shared;

namespace Kargo.Offline;

internal static class InstallCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var bundle = new Argument<string>("BUNDLE") { Description = "The bundle file, its first part, or its base name" };
        var root = new Option<string>("--root") { HelpName = "DIR", Description = "Write the node's files under DIR instead of /, and record the commands instead of running them (for review, images and tests)", DefaultValueFactory = _ => "/" };
        var address = new Option<string>("--addr") { HelpName = "IP:PORT", Description = "IP:PORT the embedded registry listens on", DefaultValueFactory = _ => "0.0.0.0:5000" }.Endpoint();
        var oldAddress = new Renamed<string>("--registry-addr", "--addr");
        oldAddress.Option.Endpoint();
        var registry = new Option<string?>("--registry") { HelpName = "URL", Description = "Push into this existing registry (https://HOST[:PORT], http://HOST[:PORT] or HOST[:PORT]) instead of running the embedded one" };
        var insecure = new Option<string[]>("--insecure-registry") { HelpName = "HOST[:PORT]", Description = "With --registry: that registry over plain HTTP, or HTTPS without certificate checks" };
        var oldInsecure = new Renamed<bool>("--registry-insecure", "--insecure-registry HOST");
        var ca = new Option<string[]>("--registry-ca") { HelpName = "FILE", Description = "With --registry: a PEM CA to trust for its certificate (repeatable)" };
        var kubeconfig = new Option<string?>("--kubeconfig") { HelpName = "FILE", Description = $"The cluster to apply KubeVirt, CDI and the VMs to (default: k3s's {Airgap.Install.Steps.K3sFiles.Kubeconfig}; none under --root)" };
        var timeout = TimeoutOption.Create("How long to wait for the API, KubeVirt and CDI to become ready", "15m");
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the plan, step by step, and what each step would write; change nothing" };
        var json = OutputOptions.Json();
        var quiet = OutputOptions.Quiet();
        var trust = new TrustOptions();
        var nodeOs = NodeOsOption.Create();
        var command = new Command("install", """
            Install a bundle on this node, with no network: preflight, verify, unpack, registry, k3s (or microk8s),
            platform, charts, vms, check. Preflight ('kargo-offline doctor' runs it alone) stops the install before anything
            is written if the node cannot take it, naming what to fix.
            Each finished step is recorded in /var/lib/kargo/install-state.json: a re-run after a failure resumes at the
            first unfinished step, and a re-run after success changes nothing. The bundle's signature is checked on
            every run and every byte as it is unpacked; nothing is installed that did not verify.

              registry  kargo-registry.service serves /var/lib/kargo/registry (or --registry: push into yours)
              k3s       binary, airgap images, registries.yaml mirroring every registry of the bundle, install script
              microk8s  (a microk8s bundle) snap ack + snap install of the bundled snaps, certs.d mirrors
              platform  KubeVirt and CDI by server-side apply, in dependency order, until both are Available
              vms       an example VirtualMachine per bundled disk, stopped; virtctl in /usr/local/bin
              check     every image the cluster names is served by the node's registry ('kargo-offline check')
            """)
        { bundle, root, address, oldAddress.Option, registry, insecure, oldInsecure.Option, ca, kubeconfig, timeout, dryRun, json, quiet, nodeOs };
        trust.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            using var keys = trust.Load(parse, stderr);
            var (push, plainHttp) = RegistryHost(parse.GetValue(registry));
            var options = new InstallOptions
            {
                Bundle = parse.GetValue(bundle)!,
                Trusted = keys,
                Root = parse.GetValue(root)!,
                RegistryAddress = ServerOptions.ParseAddress(oldAddress.Used(parse, stderr) ? parse.GetValue(oldAddress.Option)! : parse.GetValue(address)!),
                PushRegistry = push,
                PushOptions = new RegistryOptions
                {
                    InsecureRegistries = push is not null && (plainHttp || (parse.GetValue(insecure) ?? []).Contains(push, StringComparer.OrdinalIgnoreCase) || oldInsecure.Used(parse, stderr))
                        ? new HashSet<string>([push], StringComparer.OrdinalIgnoreCase) : new HashSet<string>(),
                    CaFiles = parse.GetValue(ca) ?? [],
                    Credentials = RegistryCredentials.Load(),
                },
                Kubeconfig = parse.GetValue(kubeconfig),
                Timeout = parse.GetValue(timeout)!.Value,
                Launcher = Launcher(),
                NodeOs = parse.GetValue(nodeOs),
            };
            var result = await ConsoleProgress.RunAsync(stderr, parse.GetValue(quiet), progress =>
                NodeInstall.InstallAsync(options with { Phases = progress?.Phases }, parse.GetValue(dryRun), progress is null ? _ => { }
            : progress.Log, ct));
            await stdout.WriteAsync(parse.GetValue(json) ? InstallReport.Json(result, parse.GetValue(dryRun)) : InstallReport.Text(result, parse.GetValue(dryRun)));
            return CliHost.Success;
        });
        return command;
    }

    /// <summary>--registry as HOST[:PORT], and whether it was given as http:// (plain HTTP).</summary>
    private static (string? Host, bool PlainHttp) RegistryHost(string? value)
    {
        if (value is null || !value.Contains("://", StringComparison.Ordinal))
        {
            return (value, false);
        }
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.AbsolutePath != "/")
        {
            throw new Airgap.KargoException($"--registry '{value}' must be https://HOST[:PORT], http://HOST[:PORT] or HOST[:PORT], with no path");
        }
        return (uri.Authority, uri.Scheme == "http");
    }

    /// <summary>How systemd will start this program: a self-contained binary is copied, otherwise it is started where it is.</summary>
    private static RegistryLauncher Launcher()
    {
        var process = Environment.ProcessPath ?? "kargo-offline";
        var assembly = Path.Combine(AppContext.BaseDirectory, "kargo-offline.dll");
        if (!File.Exists(assembly))
        {
            return new RegistryLauncher(process, [process]); // single-file: the binary is the program
        }
        if (Path.GetFileName(process) == "kargo-offline")
        {
            return new RegistryLauncher(null, [process]);
        }
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? (Path.GetFileName(process) == "dotnet" ? process : "/usr/bin/dotnet");
        return new RegistryLauncher(null, [dotnet, assembly]);
    }
}
