using System.Formats.Tar;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kargo.Airgap.Oci;
using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Engine;

/// <summary>
/// Images the user built himself (spec.images with source: docker), read through a Docker or
/// Podman engine's API as the archive 'docker save' writes, and stored in the cache as an OCI
/// image: the engine's config as it is, each layer as the uncompressed tar it holds (so its
/// digest is the config's diff_id), and a manifest over them. The same image gives the same digest,
/// which the lock pins like a registry digest.
/// </summary>
public sealed class EngineImages(Uri engine, OciLayout cache, IEnumerable<SpecImage> images) : IDisposable
{
    public const string LayerMediaType = "application/vnd.oci.image.layer.v1.tar";
    private const int MaxJsonBytes = 16 << 20;

    private readonly Dictionary<ImageReference, string> _names = images.ToDictionary(i => i.Reference, i => i.Text);
    private readonly Dictionary<ImageReference, (ImagePlan Plan, Platform Platform)> _imported = [];
    private HttpClient? _http;

    /// <summary>The engine source for a spec's images with source: docker; null (no engine contacted) when it has none.</summary>
    public static EngineImages? For(BundleSpec spec, Uri? engine, OciLayout cache) =>
        spec.Images.Any(i => i.FromEngine) ? new EngineImages(engine ?? EngineClient.DefaultEngine(), cache, spec.Images.Where(i => i.FromEngine)) : null;

    public bool Handles(ImageReference reference) => _names.ContainsKey(reference);

    /// <summary>Resolves from the engine what it handles, the rest with <paramref name="registry"/>.</summary>
    public static Pinning.Resolve Or(EngineImages? engine, Pinning.Resolve registry) =>
        (reference, cancellationToken) => engine?.Handles(reference) == true ? engine.ResolveAsync(reference, cancellationToken) : registry(reference, cancellationToken);

    public async Task<LockedImage> ResolveAsync(ImageReference reference, CancellationToken cancellationToken)
    {
        var (plan, _) = await ImportAsync(reference, cancellationToken);
        return new LockedImage { Reference = reference.ToString(), Digest = plan.Top.Digest, MediaType = plan.Top.MediaType, Size = plan.Top.Size };
    }

    public async Task<ImagePlan> PlanAsync(ImageReference reference, LockedImage pin, IReadOnlyList<Platform> platforms, CancellationToken cancellationToken)
    {
        var (plan, platform) = await ImportAsync(reference, cancellationToken);
        var name = _names[reference];
        if (plan.Top.Digest != pin.Digest)
        {
            throw new KargoException($"{name}: the engine's image is now {plan.Top.Digest} but the lock pins {pin.Digest}: run 'kargo-bundle lock' to pin this build, or bring the pinned one back");
        }
        if (!platforms.Any(p => p.Os == platform.Os && p.Architecture == platform.Architecture))
        {
            throw new KargoException($"{name} is {platform} but spec.platforms is {string.Join(", ", platforms)}: build it for one of them (docker build --platform)");
        }
        return plan;
    }

    private async Task<(ImagePlan, Platform)> ImportAsync(ImageReference reference, CancellationToken cancellationToken)
    {
        if (_imported.TryGetValue(reference, out var done))
        {
            return done;
        }
        var name = _names[reference];
        if (_http is null)
        {
            // Connecting through Docker.DotNet first gives the usual clear error when the engine is not there.
            (await EngineClient.ConnectAsync(engine, cancellationToken)).Dispose();
            _http = EngineClient.Http(engine);
        }
        using var response = await _http.GetAsync($"images/{Uri.EscapeDataString(name)}/get", HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new KargoException($"{name} is not an image of the engine at {engine} ({(int)response.StatusCode}): build or pull it there first");
        }
        await using var archive = await response.Content.ReadAsStreamAsync(cancellationToken);
        var imported = await ReadArchiveAsync(reference, name, archive, cancellationToken);
        _imported[reference] = imported;
        return imported;
    }

    /// <summary>Every file of the archive: the small JSON ones in memory, the rest (layers) straight into the cache.</summary>
    private async Task<(ImagePlan, Platform)> ReadArchiveAsync(ImageReference reference, string name, Stream archive, CancellationToken cancellationToken)
    {
        var small = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var stored = new Dictionary<string, Descriptor>(StringComparer.Ordinal);
        var links = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var tar = new TarReader(archive);
            while (await tar.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
            {
                if (entry.EntryType is TarEntryType.SymbolicLink)
                {
                    links[entry.Name] = entry.LinkName; // podman names a layer ID/layer.tar -> ../DIGEST.tar
                    continue;
                }
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null)
                {
                    continue;
                }
                if (entry.Name.EndsWith(".json", StringComparison.Ordinal) || entry.Name is "repositories" or "oci-layout")
                {
                    if (entry.Length > MaxJsonBytes)
                    {
                        throw new KargoException($"{name}: the engine's archive has a {entry.Length}-byte {entry.Name}, too large for image metadata");
                    }
                    using var buffer = new MemoryStream();
                    await entry.DataStream.CopyToAsync(buffer, cancellationToken);
                    small[entry.Name] = buffer.ToArray();
                    continue;
                }
                stored[entry.Name] = await cache.PutBlobAsync(entry.DataStream, LayerMediaType, cancellationToken);
            }
        }
        catch (InvalidDataException e)
        {
            throw new KargoException($"{name}: the engine's image archive is not a readable tar: {e.Message}", e);
        }
        var (configName, layerNames) = ArchiveManifest(name, small);
        var configBytes = small.TryGetValue(configName, out var inMemory) ? inMemory
            : stored.TryGetValue(configName, out var blob) ? cache.ReadBlob(blob.Digest)
            : throw new KargoException($"{name}: the engine's archive names config {configName} but does not hold it");
        var config = cache.PutBlob(MediaTypes.OciConfig, configBytes);
        var layers = layerNames.Select(l => stored.TryGetValue(Resolve(l, links), out var layer) ? layer : throw new KargoException($"{name}: the engine's archive names layer {l} but does not hold it")).ToList();
        CheckDiffIds(name, configBytes, layers);
        var manifest = cache.PutBlob(MediaTypes.OciManifest, ManifestDocument.ManifestBytes(config, layers));
        var platform = PlatformOf(name, configBytes);
        var plan = new ImagePlan(reference.WithDigest(manifest.Digest), manifest, [platform], [manifest], [config, .. layers.DistinctBy(l => l.Digest)]);
        return (plan, platform);
    }

    /// <summary>Follows links inside the archive (a relative target, never out of it) to the file they name.</summary>
    private static string Resolve(string path, Dictionary<string, string> links)
    {
        for (var hops = 0; hops < 8 && links.TryGetValue(path, out var target); hops++)
        {
            var folder = Path.GetDirectoryName(path) ?? "";
            var resolved = Path.GetRelativePath("/", Path.GetFullPath(Path.Combine("/", folder, target)));
            path = resolved.StartsWith("..", StringComparison.Ordinal) ? path : resolved;
        }
        return path;
    }

    /// <summary>Each layer as stored must be the uncompressed layer the config lists: a truncated or odd archive is refused.</summary>
    private static void CheckDiffIds(string name, byte[] config, IReadOnlyList<Descriptor> layers)
    {
        var diffIds = JsonNode.Parse(config)?["rootfs"]?["diff_ids"]?.AsArray().Select(d => d?.GetValue<string>()).ToList() ?? [];
        if (!diffIds.SequenceEqual(layers.Select(l => (string?)l.Digest.ToString())))
        {
            throw new KargoException($"{name}: the engine's layers hash to {string.Join(", ", layers.Select(l => l.Digest))} but its config lists {string.Join(", ", diffIds)}: the archive was cut short or is not a docker-archive");
        }
    }

    /// <summary>manifest.json of a docker-archive: the config's file name and the layers' in order.</summary>
    private static (string Config, List<string> Layers) ArchiveManifest(string name, Dictionary<string, byte[]> small)
    {
        try
        {
            var manifest = small.TryGetValue("manifest.json", out var bytes) ? JsonNode.Parse(bytes)?.AsArray().FirstOrDefault() : null;
            var config = manifest?["Config"]?.GetValue<string>();
            var layers = manifest?["Layers"]?.AsArray().Select(l => l!.GetValue<string>()).ToList();
            return config is not null && layers is not null ? (config, layers) : throw new KargoException($"{name}: the engine's archive has no manifest.json naming a config and layers");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new KargoException($"{name}: the engine's archive has an unreadable manifest.json: {e.Message}", e);
        }
    }

    private static Platform PlatformOf(string name, byte[] config)
    {
        var json = JsonNode.Parse(config);
        var os = json?["os"]?.GetValue<string>();
        var architecture = json?["architecture"]?.GetValue<string>();
        return os is not null && architecture is not null
            ? new Platform(os, architecture, json?["variant"]?.GetValue<string>())
            : throw new KargoException($"{name}: the engine's image config names no os and architecture");
    }

    public void Dispose() => _http?.Dispose();
}
