using System.Formats.Tar;
using System.IO.Pipelines;
using System.Text.Json;
using System.Text.Json.Serialization;
using Docker.DotNet;
using Docker.DotNet.Models;
using Kargo.Airgap.Oci;
using Kargo.Airgap.Registry;
using Descriptor = Kargo.Airgap.Oci.Descriptor;
using Platform = Kargo.Airgap.Oci.Platform;

namespace Kargo.Airgap.Engine;

/// <summary>One image loaded into the engine: its name there and its image ID (the config digest).</summary>
public sealed record LoadedImage(string Name, string Id);

/// <summary>
/// <c>kargo-offline load --docker</c>: loads images of an unpacked layout into a local Docker or
/// Podman engine through its API (Docker.DotNet; Podman's Docker-compatible service too). Each
/// image goes as a docker-archive stream built on the fly from the layout's files: nothing is
/// buffered, whatever the image size. For a multi-platform image the engine's platform is loaded.
/// </summary>
public sealed class EngineLoader(LayoutCatalog catalog, Uri engine)
{
    /// <param name="names">References to load (normalised as docker does); empty loads every image.</param>
    /// <param name="onLoaded">Called as each image is loaded.</param>
    /// <param name="cancellationToken">Stops between and during loads.</param>
    public async Task<IReadOnlyList<LoadedImage>> LoadAsync(IReadOnlyCollection<string> names, Action<LoadedImage>? onLoaded, CancellationToken cancellationToken)
    {
        var wanted = names.Select(n => ImageReference.Parse(n).RefName).ToHashSet(StringComparer.Ordinal);
        var images = catalog.Images
            .Select(i => (Name: i.Reference.RefName, Tagged: i.Reference.Tag is not null, i.Top))
            .Where(i => wanted.Count == 0 || wanted.Contains(i.Name))
            .ToList();
        var unknown = wanted.Except(images.Select(i => i.Name)).ToList();
        if (unknown.Count > 0)
        {
            throw new KargoException($"not in {catalog.Layout.Root}: {string.Join(", ", unknown)}");
        }

        using var client = await EngineClient.ConnectAsync(engine, cancellationToken);
        var loaded = new List<LoadedImage>();
        foreach (var (name, tagged, top) in images)
        {
            var document = await PlatformManifestAsync(top, name, cancellationToken);
            var pipe = new Pipe();
            // An image pinned only by digest loads untagged (docker-archive has no place for a digest): its ID names it.
            var writing = Task.Run(() => WriteArchiveAsync(pipe.Writer.AsStream(), tagged ? [name] : [], document, cancellationToken), cancellationToken);
            try
            {
                await client.Images.LoadImageAsync(new ImageLoadParameters { Quiet = true }, pipe.Reader.AsStream(), new Progress<JSONMessage>(), cancellationToken);
            }
            catch (DockerApiException e)
            {
                throw new KargoException($"the engine refused {name}: {e.ResponseBody}", e);
            }
            await writing;
            var image = new LoadedImage(name, document.Config!.Digest.ToString());
            loaded.Add(image);
            onLoaded?.Invoke(image);
        }
        return loaded;
    }

    /// <summary>The manifest to load: the image itself, or an index's manifest for this machine's platform.</summary>
    private async Task<ManifestDocument> PlatformManifestAsync(Descriptor top, string name, CancellationToken cancellationToken)
    {
        var architecture = Platform.HostArchitecture;
        var graph = await ImageWalker.WalkAsync(catalog.Layout, ImageReference.Parse(name), top,
            child => child.Platform is { Os: "linux" } p && p.Architecture == architecture && catalog.Layout.Contains(child.Digest, child.Size), cancellationToken);
        return graph.Images.FirstOrDefault()?.Document
            ?? throw new KargoException($"{name} has no linux/{architecture} manifest in this bundle; build it with that platform");
    }

    /// <summary>Writes the docker-archive (docker save) form: manifest.json, the config and the layers.</summary>
    private async Task WriteArchiveAsync(Stream output, List<string> repoTags, ManifestDocument document, CancellationToken cancellationToken)
    {
        try
        {
            await using (output)
            await using (var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true))
            {
                var config = document.Config!;
                var layers = document.Layers.Select(l => $"{l.Digest.Hex}/layer.tar").ToList();
                var manifest = JsonSerializer.SerializeToUtf8Bytes(new List<ArchiveManifest> { new($"{config.Digest.Hex}.json", repoTags, layers) }, EngineJsonContext.Default.ListArchiveManifest);
                await WriteAsync(tar, "manifest.json", new MemoryStream(manifest), cancellationToken);
                await WriteAsync(tar, $"{config.Digest.Hex}.json", File.OpenRead(catalog.Layout.BlobPath(config.Digest)), cancellationToken);
                foreach (var (layer, path) in document.Layers.Zip(layers))
                {
                    await WriteAsync(tar, path, File.OpenRead(catalog.Layout.BlobPath(layer.Digest)), cancellationToken);
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            // The engine stopped reading: its own error is the one to report.
        }
    }

    private static async Task WriteAsync(TarWriter tar, string name, Stream content, CancellationToken cancellationToken)
    {
        await using (content)
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = content, ModificationTime = DateTimeOffset.UnixEpoch };
            await tar.WriteEntryAsync(entry, cancellationToken);
        }
    }

    internal sealed record ArchiveManifest(
        [property: JsonPropertyName("Config")] string Config,
        [property: JsonPropertyName("RepoTags")] List<string> RepoTags,
        [property: JsonPropertyName("Layers")] List<string> Layers);
}

[JsonSerializable(typeof(List<EngineLoader.ArchiveManifest>))]
internal sealed partial class EngineJsonContext : JsonSerializerContext;
