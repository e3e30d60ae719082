using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kargo.Airgap.Oci;

/// <summary>
/// A parsed image manifest or index (OCI or Docker schema 2). The exact bytes stay with the
/// caller: a digest is over bytes, never over a re-serialisation.
/// </summary>
public sealed class ManifestDocument
{
    public required string MediaType { get; init; }

    /// <summary>For an index: the platform manifests it lists.</summary>
    public IReadOnlyList<Descriptor> Manifests { get; init; } = [];

    /// <summary>For a manifest: its config blob.</summary>
    public Descriptor? Config { get; init; }

    /// <summary>For a manifest: its layer blobs.</summary>
    public IReadOnlyList<Descriptor> Layers { get; init; } = [];

    public bool IsIndex => MediaTypes.IsIndex(MediaType);

    /// <summary>The blobs a manifest needs besides itself: its config, then its layers.</summary>
    public IEnumerable<Descriptor> Blobs => Config is null ? Layers : Layers.Prepend(Config);

    /// <param name="content">The manifest bytes.</param>
    /// <param name="contentType">The Content-Type the registry sent, if any.</param>
    /// <param name="source">What to name in an error (a reference or a file).</param>
    public static ManifestDocument Parse(ReadOnlySpan<byte> content, string? contentType, string source)
    {
        ManifestJson json;
        try
        {
            json = JsonSerializer.Deserialize(content, OciJsonContext.Default.ManifestJson)
                ?? throw new JsonException("the document is null");
        }
        catch (JsonException e)
        {
            throw new KargoException($"{source}: the manifest is not valid JSON: {e.Message}", e);
        }

        var mediaType = json.MediaType;
        if (string.IsNullOrEmpty(mediaType) && contentType is not null && contentType != "application/json")
        {
            mediaType = contentType;
        }
        if (json.SchemaVersion == 1 || mediaType is MediaTypes.DockerSchema1 or MediaTypes.DockerSchema1Signed)
        {
            throw new KargoException($"{source}: Docker schema 1 manifests are not supported; push the image again with a current client");
        }
        if (string.IsNullOrEmpty(mediaType))
        {
            // OCI allows an absent mediaType; the shape then tells an index from a manifest.
            mediaType = json.Manifests is not null ? MediaTypes.OciIndex : MediaTypes.OciManifest;
        }
        if (MediaTypes.IsIndex(mediaType))
        {
            return new ManifestDocument { MediaType = mediaType, Manifests = json.Manifests ?? [] };
        }
        if (!MediaTypes.IsManifest(mediaType))
        {
            throw new KargoException($"{source}: unsupported manifest media type '{mediaType}'");
        }
        if (json.Config is null)
        {
            throw new KargoException($"{source}: the manifest has no config descriptor");
        }
        return new ManifestDocument { MediaType = mediaType, Config = json.Config, Layers = json.Layers ?? [] };
    }

    /// <summary>An index's bytes with only the listed manifests kept (all else as it was).</summary>
    public static byte[] PruneIndex(ReadOnlySpan<byte> original, IEnumerable<Digest> keep)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(original)!.AsObject();
        var kept = keep.Select(k => k.ToString()).ToHashSet();
        var manifests = node["manifests"]!.AsArray();
        foreach (var entry in manifests.Where(m => !kept.Contains(m?["digest"]?.GetValue<string>() ?? "")).ToList())
        {
            manifests.Remove(entry);
        }
        return JsonSerializer.SerializeToUtf8Bytes(node, OciJsonContext.Default.JsonObject);
    }

    /// <summary>The bytes of an OCI image manifest made here (an engine's image, a containerDisk).</summary>
    public static byte[] ManifestBytes(Descriptor config, IEnumerable<Descriptor> layers) =>
        JsonSerializer.SerializeToUtf8Bytes(new ManifestJson
        {
            SchemaVersion = 2,
            MediaType = MediaTypes.OciManifest,
            Config = Listed(config),
            Layers = [.. layers.Select(Listed)],
        }, OciWireJsonContext.Default.ManifestJson);

    /// <summary>The bytes of an OCI index made here over platform manifests (each descriptor with its platform).</summary>
    public static byte[] IndexBytes(IEnumerable<Descriptor> manifests) =>
        JsonSerializer.SerializeToUtf8Bytes(new ManifestJson { SchemaVersion = 2, MediaType = MediaTypes.OciIndex, Manifests = [.. manifests] }, OciWireJsonContext.Default.ManifestJson);

    /// <summary>A manifest lists its config and layers by media type, digest and size only.</summary>
    private static Descriptor Listed(Descriptor blob) => blob with { Platform = null, Annotations = null };

    /// <summary>A manifest or index as JSON: read from anywhere, written for what is made here.</summary>
    internal sealed class ManifestJson
    {
        [JsonPropertyName("schemaVersion")]
        public int SchemaVersion { get; set; }

        [JsonPropertyName("mediaType")]
        public string? MediaType { get; set; }

        [JsonPropertyName("config")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public Descriptor? Config { get; set; }

        [JsonPropertyName("layers")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public List<Descriptor>? Layers { get; set; }

        [JsonPropertyName("manifests")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public List<Descriptor>? Manifests { get; set; }
    }
}
