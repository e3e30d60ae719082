using System.Text.Json;
using System.Text.Json.Serialization;
using Kargo.Airgap.Oci;

namespace Kargo.Airgap.Spec;

/// <summary>
/// <c>images.lock</c>: every image reference of a spec pinned to the digest of its manifest
/// or index. Written sorted, so the same pins give the same bytes.
/// </summary>
public sealed class LockFile
{
    public const int CurrentVersion = 1;

    private readonly SortedDictionary<string, LockedImage> _images = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, LockedFile> _files = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, LockedChart> _charts = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, LockedEmbedded> _embedded = new(StringComparer.Ordinal);

    public IEnumerable<LockedEmbedded> Embedded => _embedded.Values;

    /// <summary>What the image of this manifest digest embeds, as read when locked: content named by digest never changes.</summary>
    public LockedEmbedded? FindEmbedded(Digest digest) => _embedded.GetValueOrDefault(digest.ToString());

    public void Pin(LockedEmbedded embedded) => _embedded[embedded.Digest.ToString()] = embedded;

    public IEnumerable<LockedChart> Charts => _charts.Values;

    public LockedChart? FindChart(SpecChart chart) => _charts.GetValueOrDefault(LockedChart.KeyOf(chart.Source, chart.Name, chart.Version));

    public void Pin(LockedChart chart) => _charts[chart.Key] = chart;

    /// <summary>Keeps only the charts the spec still names.</summary>
    public void RetainCharts(IEnumerable<SpecChart> charts)
    {
        var keep = charts.Select(c => LockedChart.KeyOf(c.Source, c.Name, c.Version)).ToHashSet(StringComparer.Ordinal);
        foreach (var key in _charts.Keys.Where(k => !keep.Contains(k)).ToList())
        {
            _charts.Remove(key);
        }
    }

    public IEnumerable<LockedImage> Images => _images.Values;

    public IEnumerable<LockedFile> Files => _files.Values;

    public LockedFile? FindFile(string url) => _files.GetValueOrDefault(url);

    public void Pin(LockedFile file) => _files[file.Url] = file;

    /// <summary>Keeps only the URLs the spec still names.</summary>
    public void RetainFiles(IEnumerable<string> urls)
    {
        var keep = urls.ToHashSet(StringComparer.Ordinal);
        foreach (var key in _files.Keys.Where(k => !keep.Contains(k)).ToList())
        {
            _files.Remove(key);
        }
    }

    public LockedImage? Find(ImageReference reference) =>
        _images.TryGetValue(reference.ToString(), out var image) ? image : null;

    public void Pin(LockedImage image) => _images[image.Reference] = image;

    /// <summary>Keeps only the references the spec still names.</summary>
    public void RetainOnly(IEnumerable<ImageReference> references)
    {
        var keep = references.Select(r => r.ToString()).ToHashSet();
        foreach (var key in _images.Keys.Where(k => !keep.Contains(k)).ToList())
        {
            _images.Remove(key);
        }
        var digests = _images.Values.Select(i => i.Digest.ToString()).ToHashSet(StringComparer.Ordinal);
        foreach (var key in _embedded.Keys.Where(k => !digests.Contains(k)).ToList())
        {
            _embedded.Remove(key);
        }
    }

    public static LockFile LoadOrEmpty(string path) => File.Exists(path) ? Load(path) : new LockFile();

    public static LockFile Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new KargoException($"lock file '{path}' does not exist; create it with 'kargo-bundle lock SPEC --lock {path}' on a connected host");
        }
        LockJson json;
        try
        {
            json = JsonSerializer.Deserialize(File.ReadAllBytes(path), SpecJsonContext.Default.LockJson)
                ?? throw new JsonException("the document is null");
        }
        catch (JsonException e)
        {
            throw new SpecException(path, (int)(e.LineNumber ?? 0) + 1, (int)(e.BytePositionInLine ?? 0) + 1, $"not a valid lock file: {e.Message}");
        }
        if (json.LockVersion != CurrentVersion)
        {
            throw new SpecException(path, 1, 1, $"lockVersion {json.LockVersion} is not supported (this kargo-bundle reads version {CurrentVersion})");
        }
        var lockFile = new LockFile();
        foreach (var image in json.Images)
        {
            ImageReference reference;
            try
            {
                reference = ImageReference.Parse(image.Reference);
            }
            catch (KargoException e)
            {
                throw new KargoException($"{path}: {e.Message}");
            }
            lockFile.Pin(image with { Reference = reference.ToString(), Note = null });
        }
        foreach (var file in json.Files ?? [])
        {
            if (file.Sha256.Length != 64 || !file.Sha256.All(Uri.IsHexDigit) || file.Size < 0)
            {
                throw new KargoException($"{path}: the entry for {file.Url} has an invalid sha256 or size; run 'kargo-bundle lock' again");
            }
            lockFile.Pin(file);
        }
        foreach (var chart in json.Charts ?? [])
        {
            if (!Names.Sha256().IsMatch(chart.Sha256) || chart.Size < 0 || !Names.ChartName().IsMatch(chart.Name) || !Names.ChartVersion().IsMatch(chart.Version) || (chart.Url is null) == (chart.Manifest is null))
            {
                throw new KargoException($"{path}: the entry for chart {Terminal.Printable(chart.Name)} {Terminal.Printable(chart.Version)} is not valid (name, version, sha256, size, and url or manifest); run 'kargo-bundle lock' again");
            }
            lockFile.Pin(chart);
        }
        foreach (var embedded in json.Embedded ?? [])
        {
            try
            {
                ImageReference.Parse(embedded.Image);
                embedded.Images.ForEach(i => ImageReference.Parse(i));
            }
            catch (KargoException e)
            {
                throw new KargoException($"{path}: the embedded images of {Terminal.Printable(embedded.Image)} are not valid ({e.Message}); run 'kargo-bundle lock' again");
            }
            lockFile.Pin(embedded);
        }
        return lockFile;
    }

    public void Save(string path) => AtomicFile.WriteAllBytes(path, ToBytes());

    public byte[] ToBytes()
    {
        // The note of an image named by latest is written from its reference each time, so it never outlives the reference.
        var images = _images.Values.Select(i => i with { Note = LatestTag.Names(i.Reference) ? LatestTag.LockNote : null });
        var json = new LockJson { LockVersion = CurrentVersion, Images = [.. images], Files = _files.Count == 0 ? null : [.. _files.Values], Charts = _charts.Count == 0 ? null : [.. _charts.Values], Embedded = _embedded.Count == 0 ? null : [.. _embedded.Values] };
        var bytes = JsonSerializer.SerializeToUtf8Bytes(json, Readable.LockJson);
        return [.. bytes, (byte)'\n'];
    }

    /// <summary>Written for people to read and diff: '+' (v1.30.4+k3s1) stays '+', not \u002B; quotes and control characters are still escaped.</summary>
    private static readonly SpecJsonContext Readable = new(new System.Text.Json.JsonSerializerOptions(SpecJsonContext.Default.Options)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    internal sealed class LockJson
    {
        [JsonPropertyName("lockVersion")]
        public int LockVersion { get; set; }

        [JsonPropertyName("images")]
        public List<LockedImage> Images { get; set; } = [];

        [JsonPropertyName("files")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public List<LockedFile>? Files { get; set; }

        [JsonPropertyName("charts")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public List<LockedChart>? Charts { get; set; }

        [JsonPropertyName("embedded")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public List<LockedEmbedded>? Embedded { get; set; }
    }
}

/// <summary>One pinned image: the reference as normalised, the digest and type of what it named.</summary>
public sealed record LockedImage
{
    [JsonPropertyName("reference")]
    public required string Reference { get; init; }

    [JsonPropertyName("digest")]
    public required Digest Digest { get; init; }

    [JsonPropertyName("mediaType")]
    public required string MediaType { get; init; }

    [JsonPropertyName("size")]
    public required long Size { get; init; }

    /// <summary>
    /// For a reference named by the tag latest: says that the digest is what latest pointed to when
    /// locked (<see cref="LatestTag.LockNote"/>). Informative only: written from the reference, never read for a pin.
    /// </summary>
    [JsonPropertyName("note")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Note { get; init; }
}

/// <summary>One pinned download: the URL, and the size and sha256 of what it served when locked.</summary>
public sealed record LockedFile
{
    [JsonPropertyName("url")]
    public required string Url { get; init; }

    [JsonPropertyName("sha256")]
    public required string Sha256 { get; init; }

    [JsonPropertyName("size")]
    public required long Size { get; init; }
}

/// <summary>
/// One pinned chart: where it comes from, its name and version, and what was fetched: the archive's
/// URL (a chart repository) or the OCI manifest's digest (a registry), with the archive's sha256 and size.
/// </summary>
public sealed record LockedChart
{
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    [JsonPropertyName("version")]
    public required string Version { get; init; }

    /// <summary>The chart repository URL, or oci://HOST/PATH.</summary>
    [JsonPropertyName("source")]
    public required string Source { get; init; }

    /// <summary>The archive's URL, as the repository's index.yaml gave it (made absolute).</summary>
    [JsonPropertyName("url")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Url { get; init; }

    /// <summary>The OCI manifest the version's tag named when locked.</summary>
    [JsonPropertyName("manifest")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Digest? Manifest { get; init; }

    /// <summary>The chart archive (.tgz).</summary>
    [JsonPropertyName("sha256")]
    public required string Sha256 { get; init; }

    [JsonPropertyName("size")]
    public required long Size { get; init; }

    [JsonIgnore]
    public string Key => KeyOf(Source, Name, Version);

    public static string KeyOf(string source, string name, string version) => $"{source} {name} {version}";
}

/// <summary>
/// Image references an image's program embeds, read from it when locked (virt-operator's
/// virt-template images, from /usr/bin/virt-operator), so that <c>build --locked</c> knows them
/// without reading the binary again.
/// </summary>
public sealed record LockedEmbedded
{
    /// <summary>The image read, as the manifests name it.</summary>
    [JsonPropertyName("image")]
    public required string Image { get; init; }

    /// <summary>The manifest (or index) it was pinned to when read.</summary>
    [JsonPropertyName("digest")]
    public required Digest Digest { get; init; }

    /// <summary>The file read in it.</summary>
    [JsonPropertyName("file")]
    public required string File { get; init; }

    /// <summary>The references found, as the file writes them.</summary>
    [JsonPropertyName("images")]
    public required List<string> Images { get; init; }
}

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(LockFile.LockJson))]
internal sealed partial class SpecJsonContext : JsonSerializerContext;
