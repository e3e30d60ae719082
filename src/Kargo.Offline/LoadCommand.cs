using System.CommandLine;
using Kargo.Airgap.Engine;
using Kargo.Airgap.Registry;
using Kargo.Shared;

namespace Kargo.Offline;

internal static class LoadCommand
{
    public static Command Create(TextWriter stdout)
    {
        var folder = new Argument<string>("DIR") { Description = "A folder a bundle was unpacked into (or an OCI layout)" };
        var images = new Argument<string[]>("IMAGE") { Description = "Images to load (default: all), such as quay.io/kubevirt/virt-operator:v1.3.0", Arity = ArgumentArity.ZeroOrMore };
        var docker = new Option<bool>("--docker") { Description = "Load into a local Docker or Podman engine through its API (the target this release supports)" };
        var engine = new Option<string?>("--engine") { Description = "The engine's API, such as unix:///var/run/docker.sock (default: DOCKER_HOST, then Docker's, then Podman's socket)" };
        var command = new Command("load", "Load images of an unpacked bundle into a local container engine, under their full names.") { folder, images, docker, engine };
        var json = OutputOptions.Json("the images loaded");
        command.Add(json);
        command.Validators.Add(result =>
        {
            if (!result.GetValue(docker))
            {
                result.AddError("say where to load: --docker (a Docker or Podman engine)");
            }
        });
        command.SetAction(async (parse, ct) =>
        {
            var uri = parse.GetValue(engine) is { } given ? new Uri(given) : EngineClient.DefaultEngine();
            var loader = new EngineLoader(await LayoutCatalog.LoadAsync(parse.GetValue(folder)!), uri);
            var asJson = parse.GetValue(json);
            var loaded = await loader.LoadAsync(parse.GetValue(images) ?? [], image =>
            {
                if (!asJson)
                {
                    stdout.WriteLine($"loaded {image.Name} ({image.Id})");
                }
            }, ct);
            await stdout.WriteAsync(asJson
                ? JsonOutput.Of(new LoadJson(uri.ToString(), [.. loaded.Select(image => new LoadedImageJson(image.Name, image.Id))]), OfflineJson.Default.LoadJson)
                : $"{loaded.Count} images loaded into {uri}\n");
            return CliHost.Success;
        });
        return command;
    }
}
