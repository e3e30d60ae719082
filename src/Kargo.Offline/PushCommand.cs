using System.CommandLine;
using Kargo.Airgap.Registry;
using Kargo.Shared;

namespace Kargo.Offline;

internal static class PushCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var folder = new Argument<string>("DIR") { Description = "A folder a bundle was unpacked into (or an OCI layout)" };
        var registry = new Option<string>("--registry") { HelpName = "HOST[:PORT]", Description = "The registry to push into, HOST[:PORT] (Harbor, Zot, distribution)", Required = true };
        var insecure = new Option<string[]>("--insecure-registry") { HelpName = "HOST[:PORT]", Description = "The --registry over plain HTTP, or HTTPS without certificate checks" };
        var oldInsecure = new Renamed<bool>("--insecure", "--insecure-registry HOST");
        var creds = new Option<string?>("--creds") { Description = "USER:PASSWORD for the registry (else from the auth files and the docker config); never printed" };
        var credentialFiles = new CredentialOptions();
        var json = OutputOptions.Json("what was pushed");
        var parallel = new Option<int>("--parallel") { HelpName = "N", Description = "Blobs uploaded at once (default 4)", DefaultValueFactory = _ => 4 };
        var quiet = OutputOptions.Quiet();
        var ca = new Option<string[]>("--registry-ca") { Description = "A PEM CA to trust for the registry's certificate (repeatable)" };
        var command = new Command("push", """
            Push every image of an unpacked bundle into an existing registry under its upstream repository path
            (quay.io/kubevirt/virt-api goes to HOST/kubevirt/virt-api), keeping every digest. Blobs the registry has
            are skipped, shared ones mounted; a second push transfers nothing.
            """)
        { folder, registry, insecure, oldInsecure.Option, creds, ca, parallel, json, quiet };
        credentialFiles.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var host = parse.GetValue(registry)!;
            var credentials = credentialFiles.Read(parse);
            if (parse.GetValue(creds) is { } pair)
            {
                credentials = credentials.With(host, Credential.Parse(pair, "--creds"));
            }
            var options = new RegistryOptions
            {
                InsecureRegistries = (parse.GetValue(insecure) ?? []).Contains(host, StringComparer.OrdinalIgnoreCase) || oldInsecure.Used(parse, stderr)
                    ? new HashSet<string>([host], StringComparer.OrdinalIgnoreCase) : new HashSet<string>(),
                CaFiles = parse.GetValue(ca) ?? [],
                Credentials = credentials,
            };
            using var client = new RegistryClient(options);
            var catalog = await LayoutCatalog.LoadAsync(parse.GetValue(folder)!);
            var asJson = parse.GetValue(json);
            var results = await ConsoleProgress.RunAsync(stderr, parse.GetValue(quiet), progress =>
            {
                var pusher = new RegistryPusher(client, catalog, host) { Phases = progress?.Phases, Parallelism = Math.Max(1, parse.GetValue(parallel)) };
                // A line per image as it finishes; on a terminal the bar is there instead, and the lines follow it.
                var stream = !asJson && progress?.ShowsBars != true;
                return pusher.PushAllAsync(image =>
                {
                    if (stream)
                    {
                        stdout.WriteLine(PushedLine(image));
                    }
                    if (image.Pruned is not null)
                    {
                        var warning = $"WARNING: {image.Pruned}";
                        if (progress is null)
                        {
                            stderr.WriteLine(warning);
                        }
                        else
                        {
                            progress.Log(warning);
                        }
                    }
                }, ct);
            });
            if (!asJson && ConsoleProgress.WouldShowBars(stderr, parse.GetValue(quiet)))
            {
                results.ToList().ForEach(image => stdout.WriteLine(PushedLine(image)));
            }
            if (asJson)
            {
                await stdout.WriteAsync(PushJson(host, results));
                return CliHost.Success;
            }
            await stdout.WriteLineAsync($"{results.Count} images in {host}: {results.Sum(r => r.Uploaded)} blobs uploaded ({Sizes.Human(results.Sum(r => r.BytesUploaded))})");
            return CliHost.Success;
        });
        return command;
    }

    private static string PushedLine(PushedImage image) =>
        $"pushed {image.Target}: {image.Uploaded} blobs uploaded ({Sizes.Human(image.BytesUploaded)}), {image.Mounted} mounted, {image.Present} already there, {image.ManifestsPut} manifests written";

    private static string PushJson(string host, IReadOnlyList<PushedImage> results)
    {
        return JsonOutput.Of(new PushJson(host, [.. results.Select(image => new PushedImageJson(
            image.Target, image.Uploaded, image.BytesUploaded, image.Mounted, image.Present, image.ManifestsPut, image.Pruned))]), OfflineJson.Default.PushJson);
    }
}
