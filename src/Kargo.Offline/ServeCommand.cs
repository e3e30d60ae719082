using System.CommandLine;
using System.CommandLine.Parsing;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Kargo.Airgap;
using Kargo.Airgap.Engine;
using Kargo.Airgap.Registry;
using Kargo.Shared;

namespace Kargo.Offline;

internal static class ServeCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var o = new ServeArguments();
        var command = new Command("serve", """
            Serve an unpacked bundle as a read-only OCI registry until stopped (Ctrl-C or SIGTERM ends it gracefully).
            Images answer under their upstream repository names (kubevirt/virt-operator, library/busybox), also for the
            ?ns= that containerd mirrors send, so nodes pull quay.io/… and docker.io/… through it unchanged.
            """)
        { o.Folder, o.Address, o.Certificate, o.Key, o.SelfSigned, o.San, o.Quiet, o.Docker, o.Engine, o.Json };
        command.Validators.Add(result => Validate(o, result));
        command.SetAction(async (parse, ct) =>
        {
            var dir = parse.GetValue(o.Folder)!;
            var endpoint = ServerOptions.ParseAddress(parse.GetValue(o.Address)!);
            var catalog = await LayoutCatalog.LoadAsync(dir);
            foreach (var skipped in catalog.Skipped)
            {
                await stderr.WriteLineAsync($"not served: {Terminal.Printable(skipped)}");
            }
            if (parse.GetValue(o.Docker))
            {
                await RunInEngineAsync(catalog, parse.GetValue(o.Engine), endpoint, stdout, stderr, ct);
                return CliHost.Success;
            }
            var tls = await TlsAsync(o, parse, dir, endpoint, stderr);
            var accessLog = parse.GetValue(o.Quiet) ? null : (Action<string>)(line => stderr.WriteLine(line));
            await ServeUntilStoppedAsync(catalog, new ServerOptions { Address = endpoint, Certificate = tls, AccessLog = accessLog }, parse.GetValue(o.Json), stdout, stderr, ct);
            return CliHost.Success;
        });
        return command;
    }

    private static void Validate(ServeArguments o, CommandResult result)
    {
        var pair = result.GetValue(o.Certificate) is not null;
        if (pair != (result.GetValue(o.Key) is not null))
        {
            result.AddError("--tls-cert and --tls-key go together");
        }
        if (pair && result.GetValue(o.SelfSigned))
        {
            result.AddError("choose --tls-cert/--tls-key or --tls-self-signed, not both");
        }
        if (result.GetValue(o.Docker) && (pair || result.GetValue(o.SelfSigned)))
        {
            result.AddError("--docker runs the registry image as it is configured: TLS options apply to the embedded server only");
        }
    }

    /// <summary>--docker: the bundle's registry image as a container, every image pushed into it.</summary>
    private static async Task RunInEngineAsync(LayoutCatalog catalog, string? engine, IPEndPoint endpoint, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var uri = engine is { } given ? new Uri(given) : EngineClient.DefaultEngine();
        var pushed = await new EngineRegistry(catalog, uri).StartAsync(endpoint, line => stderr.WriteLine(line), ct);
        await stdout.WriteLineAsync($"container {EngineRegistry.ContainerName} serves {pushed.Count} repositories at http://{endpoint}/ (restarts unless stopped; data in volume {EngineRegistry.DataVolume})");
    }

    /// <summary>The certificate to serve with: issued under DIR/tls/, given as PEM files, or none.</summary>
    private static async Task<X509Certificate2?> TlsAsync(ServeArguments o, ParseResult parse, string dir, IPEndPoint endpoint, TextWriter stderr)
    {
        if (parse.GetValue(o.SelfSigned))
        {
            var issued = SelfSignedTls.LoadOrCreate(Path.Combine(dir, "tls"), endpoint.Address, parse.GetValue(o.San));
            if (issued.Issued is { } why)
            {
                await stderr.WriteLineAsync($"TLS: issued {why}");
            }
            await stderr.WriteLineAsync($"TLS: the certificate names {string.Join(", ", issued.Names)}; nodes trust {Path.GetFullPath(issued.CaFile)} (skopeo, podman: --cert-dir {Path.GetFullPath(issued.CertDir)})");
            return issued.Certificate;
        }
        return parse.GetValue(o.Certificate) is { } certFile ? SelfSignedTls.LoadPem(certFile, parse.GetValue(o.Key)!) : null;
    }

    private static async Task ServeUntilStoppedAsync(LayoutCatalog catalog, ServerOptions options, bool json, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        await using var server = await RegistryServer.StartAsync(catalog, options, ct);
        var repositories = catalog.Repositories.Count();
        await stdout.WriteAsync(json
            ? JsonOutput.Of(new ServeJson(server.Address.ToString(), repositories, [.. catalog.Registries]), OfflineJson.Default.ServeJson)
            : $"serving {repositories} repositories ({string.Join(", ", catalog.Registries)}) at {server.Address}\n");
        try
        {
            await server.WaitForShutdownAsync(ct);
        }
        catch (OperationCanceledException)
        {
        }
        await server.StopAsync(CancellationToken.None);
        await stderr.WriteLineAsync("stopped");
    }

    /// <summary>The command's arguments and options, made once and read by the action.</summary>
    private sealed class ServeArguments
    {
        public Argument<string> Folder { get; } = new("DIR") { Description = "A folder a bundle was unpacked into (or an OCI layout)" };

        public Option<string> Address { get; } = new Option<string>("--addr") { HelpName = "IP:PORT", Description = "IP:PORT to listen on", DefaultValueFactory = _ => "127.0.0.1:5000" }.Endpoint(anyPort: true);

        public Option<string?> Certificate { get; } = new("--tls-cert") { Description = "PEM certificate for HTTPS (with --tls-key)" };

        public Option<string?> Key { get; } = new("--tls-key") { Description = "PEM private key of --tls-cert" };

        public Option<bool> SelfSigned { get; } = new("--tls-self-signed")
        {
            Description = "Serve HTTPS with a certificate from a local CA kept in DIR/tls/ (nodes trust DIR/tls/ca.pem; skopeo and podman take --cert-dir DIR/tls/certs). It names the address, or every address of this machine for 0.0.0.0, and is issued again under the same CA when they change",
        };

        public Option<string[]> San { get; } = SanOption();

        public Option<bool> Quiet { get; } = new("--no-access-log") { Description = "Do not print a line per request" };

        public Option<bool> Docker { get; } = new("--docker") { Description = "Instead: run the bundle's docker.io/library/registry image as a container (host network, restart unless stopped) through a Docker or Podman engine, push every image into it, and return" };

        public Option<string?> Engine { get; } = new("--engine") { Description = "With --docker: the engine's API (default: DOCKER_HOST, then Docker's, then Podman's socket)" };

        public Option<bool> Json { get; } = OutputOptions.Json("where it serves (one document, when it is listening)");

        private static Option<string[]> SanOption()
        {
            var san = new Option<string[]>("--tls-san") { HelpName = "NAME|IP", Description = "Another name or address the self-signed certificate must cover, such as registry.lan (repeatable)" };
            san.Validators.Add(result =>
            {
                foreach (var name in result.GetValueOrDefault<string[]>() ?? [])
                {
                    if (!IPAddress.TryParse(name, out _) && !SelfSignedTls.IsDnsName(name))
                    {
                        result.AddError($"--tls-san '{Terminal.Printable(name)}' is not a host name or an IP address");
                    }
                }
            });
            return san;
        }
    }
}
