using System.CommandLine;
using Kargo.Airgap.Engine;
using Kargo.Airgap.Registry;
using Kargo.Shared;

namespace Kargo.Offline;

internal static class ServeCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var folder = new Argument<string>("DIR") { Description = "A folder a bundle was unpacked into (or an OCI layout)" };
        var address = new Option<string>("--addr") { HelpName = "IP:PORT", Description = "IP:PORT to listen on", DefaultValueFactory = _ => "127.0.0.1:5000" }.Endpoint(anyPort: true);
        var certificate = new Option<string?>("--tls-cert") { Description = "PEM certificate for HTTPS (with --tls-key)" };
        var key = new Option<string?>("--tls-key") { Description = "PEM private key of --tls-cert" };
        var selfSigned = new Option<bool>("--tls-self-signed")
        {
            Description = "Serve HTTPS with a certificate from a local CA kept in DIR/tls/ (nodes trust DIR/tls/ca.pem; skopeo and podman take --cert-dir DIR/tls/certs). It names the address, or every address of this machine for 0.0.0.0, and is issued again under the same CA when they change",
        };
        var san = new Option<string[]>("--tls-san") { HelpName = "NAME|IP", Description = "Another name or address the self-signed certificate must cover, such as registry.lan (repeatable)" };
        san.Validators.Add(result =>
        {
            foreach (var name in result.GetValueOrDefault<string[]>() ?? [])
            {
                if (!System.Net.IPAddress.TryParse(name, out _) && !SelfSignedTls.IsDnsName(name))
                {
                    result.AddError($"--tls-san '{Kargo.Airgap.Terminal.Printable(name)}' is not a host name or an IP address");
                }
            }
        });
        var quiet = new Option<bool>("--no-access-log") { Description = "Do not print a line per request" };
        var docker = new Option<bool>("--docker") { Description = "Instead: run the bundle's docker.io/library/registry image as a container (host network, restart unless stopped) through a Docker or Podman engine, push every image into it, and return" };
        var engine = new Option<string?>("--engine") { Description = "With --docker: the engine's API (default: DOCKER_HOST, then Docker's, then Podman's socket)" };
        var command = new Command("serve", """
            Serve an unpacked bundle as a read-only OCI registry until stopped (Ctrl-C or SIGTERM ends it gracefully).
            Images answer under their upstream repository names (kubevirt/virt-operator, library/busybox), also for the
            ?ns= that containerd mirrors send, so nodes pull quay.io/… and docker.io/… through it unchanged.
            """)
        { folder, address, certificate, key, selfSigned, san, quiet, docker, engine };
        var json = OutputOptions.Json("where it serves (one document, when it is listening)");
        command.Add(json);
        command.Validators.Add(result =>
        {
            var pair = result.GetValue(certificate) is not null;
            if (pair != (result.GetValue(key) is not null))
            {
                result.AddError("--tls-cert and --tls-key go together");
            }
            if (pair && result.GetValue(selfSigned))
            {
                result.AddError("choose --tls-cert/--tls-key or --tls-self-signed, not both");
            }
            if (result.GetValue(docker) && (pair || result.GetValue(selfSigned)))
            {
                result.AddError("--docker runs the registry image as it is configured: TLS options apply to the embedded server only");
            }
        });
        command.SetAction(async (parse, ct) =>
        {
            var dir = parse.GetValue(folder)!;
            var endpoint = ServerOptions.ParseAddress(parse.GetValue(address)!);
            var catalog = LayoutCatalog.Load(dir);
            foreach (var skipped in catalog.Skipped)
            {
                await stderr.WriteLineAsync($"not served: {Kargo.Airgap.Terminal.Printable(skipped)}");
            }
            if (parse.GetValue(docker))
            {
                var uri = parse.GetValue(engine) is { } given ? new Uri(given) : EngineClient.DefaultEngine();
                var pushed = await new EngineRegistry(catalog, uri).StartAsync(endpoint, line => stderr.WriteLine(line), ct);
                await stdout.WriteLineAsync($"container {EngineRegistry.ContainerName} serves {pushed.Count} repositories at http://{endpoint}/ (restarts unless stopped; data in volume {EngineRegistry.DataVolume})");
                return CliHost.Success;
            }
            System.Security.Cryptography.X509Certificates.X509Certificate2? tls = null;
            if (parse.GetValue(selfSigned))
            {
                var issued = SelfSignedTls.LoadOrCreate(Path.Combine(dir, "tls"), endpoint.Address, parse.GetValue(san));
                tls = issued.Certificate;
                if (issued.Issued is { } why)
                {
                    await stderr.WriteLineAsync($"TLS: issued {why}");
                }
                await stderr.WriteLineAsync($"TLS: the certificate names {string.Join(", ", issued.Names)}; nodes trust {Path.GetFullPath(issued.CaFile)} (skopeo, podman: --cert-dir {Path.GetFullPath(issued.CertDir)})");
            }
            else if (parse.GetValue(certificate) is { } certFile)
            {
                tls = SelfSignedTls.LoadPem(certFile, parse.GetValue(key)!);
            }
            var accessLog = parse.GetValue(quiet) ? null : (Action<string>)(line => stderr.WriteLine(line));
            await using var server = await RegistryServer.StartAsync(catalog, new ServerOptions { Address = endpoint, Certificate = tls, AccessLog = accessLog }, ct);
            var repositories = catalog.Repositories.ToList();
            await stdout.WriteAsync(parse.GetValue(json)
                ? JsonOutput.Of(writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteString("address", server.Address.ToString());
                    writer.WriteNumber("repositories", repositories.Count);
                    writer.WriteStartArray("registries");
                    catalog.Registries.ToList().ForEach(writer.WriteStringValue);
                    writer.WriteEndArray();
                    writer.WriteEndObject();
                })
                : $"serving {repositories.Count} repositories ({string.Join(", ", catalog.Registries)}) at {server.Address}\n");
            try
            {
                await server.WaitForShutdownAsync(ct);
            }
            catch (OperationCanceledException)
            {
            }
            await server.StopAsync(CancellationToken.None);
            await stderr.WriteLineAsync("stopped");
            return CliHost.Success;
        });
        return command;
    }
}
