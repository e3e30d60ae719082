using System.Text.Json;
using Kargo.Airgap.Oci;

namespace Kargo.Airgap.Registry;

/// <summary>One repository of a layout: its tags, and the manifests and blobs its images reach.</summary>
public sealed class CatalogRepository(string registry, string repository)
{
    public string Registry { get; } = registry;
    public string Repository { get; } = repository;
    public string Name => $"{Registry}/{Repository}";
    public SortedDictionary<string, Descriptor> Tags { get; } = new(StringComparer.Ordinal);
    public Dictionary<Digest, Descriptor> Manifests { get; } = [];
    public HashSet<Digest> Blobs { get; } = [];
}

/// <summary>
/// What an unpacked layout can serve, read from its index.json at start-up: each image under the
/// repository its reference names (<c>quay.io/kubevirt/virt-operator</c>), with every manifest and
/// blob it reaches. A blob an image needs but the layout lacks is an error here, not at pull time.
/// Manifests of platforms the bundle left out are not reachable, as intended.
/// </summary>
public sealed class LayoutCatalog
{
    private readonly Dictionary<string, CatalogRepository> _byName = new(StringComparer.Ordinal);
    private readonly List<(ImageReference Reference, Descriptor Top)> _images = [];

    /// <summary>index.json entries that name no image this catalog can serve (another tool's, or a reference of no valid shape), with why.</summary>
    public IReadOnlyList<string> Skipped => _skipped;

    private readonly List<string> _skipped = [];

    /// <summary>Every image the index names, by tag or, where it has none, by digest.</summary>
    public IReadOnlyList<(ImageReference Reference, Descriptor Top)> Images => _images;

    public OciLayout Layout { get; }

    public IEnumerable<CatalogRepository> Repositories => _byName.Values.OrderBy(r => r.Name, StringComparer.Ordinal);

    /// <summary>The registry hosts the images came from (docker.io, quay.io, …).</summary>
    public IReadOnlyList<string> Registries => [.. _byName.Values.Select(r => r.Registry).Distinct().Order(StringComparer.Ordinal)];

    private LayoutCatalog(OciLayout layout)
    {
        Layout = layout;
    }

    /// <param name="folder">The unpack destination (holding oci/) or the layout itself.</param>
    /// <param name="cancellationToken">Stops between images.</param>
    public static async Task<LayoutCatalog> LoadAsync(string folder, CancellationToken cancellationToken = default)
    {
        var root = File.Exists(Path.Combine(folder, "oci", "index.json")) ? Path.Combine(folder, "oci") : folder;
        var layout = new OciLayout(root);
        if (!File.Exists(layout.IndexPath))
        {
            throw new KargoException($"{folder} holds no OCI layout (no index.json in it or in its oci/ folder); unpack a bundle into it first");
        }
        OciIndexJson index;
        try
        {
            index = JsonSerializer.Deserialize(await File.ReadAllBytesAsync(layout.IndexPath, cancellationToken), OciJsonContext.Default.OciIndexJson) ?? new OciIndexJson();
        }
        catch (JsonException e)
        {
            throw new KargoException($"{layout.IndexPath} is not a valid OCI index: {e.Message}", e);
        }
        var catalog = new LayoutCatalog(layout);
        foreach (var entry in index.Manifests)
        {
            if (catalog.NameOf(entry) is { } reference)
            {
                await catalog.AddAsync(reference, entry, cancellationToken);
            }
        }
        return catalog;
    }

    /// <summary>The image an index.json entry names, or null (said in <see cref="Skipped"/>) for one this catalog cannot serve.</summary>
    private ImageReference? NameOf(Descriptor entry)
    {
        if (entry.Annotations?.GetValueOrDefault(Annotations.RefName) is not { } refName)
        {
            _skipped.Add($"{entry.Digest}: no {Annotations.RefName} annotation names it");
            return null;
        }
        try
        {
            return ImageReference.Parse(refName);
        }
        catch (KargoException e)
        {
            // An entry some other tool wrote, named in its own way: said, not served.
            _skipped.Add($"{entry.Digest}: {e.Message}");
            return null;
        }
    }

    /// <summary>
    /// Walks one image: index entries the layout lacks are platforms the bundle left out and are
    /// not served; a missing top manifest or blob is an error now, not at pull time.
    /// </summary>
    private async Task AddAsync(ImageReference reference, Descriptor entry, CancellationToken cancellationToken)
    {
        var repository = Repository(reference.Registry, reference.Repository);
        if (reference.Tag is { } tag)
        {
            repository.Tags[tag] = entry;
        }
        _images.Add((reference, entry));
        var graph = await ImageWalker.WalkAsync(Layout, reference, entry, child => Layout.Contains(child.Digest, child.Size), cancellationToken);
        foreach (var manifest in graph.Manifests)
        {
            repository.Manifests[manifest.Descriptor.Digest] = manifest.Descriptor;
        }
        foreach (var blob in graph.Blobs)
        {
            repository.Blobs.Add(Layout.Contains(blob.Digest, blob.Size) ? blob.Digest : throw Layout.Missing(blob, $"a blob of {reference}"));
        }
    }

    private CatalogRepository Repository(string registry, string repository)
    {
        var name = $"{registry}/{repository}";
        if (!_byName.TryGetValue(name, out var found))
        {
            _byName[name] = found = new CatalogRepository(registry, repository);
        }
        return found;
    }

    /// <summary>
    /// The repository a request names. containerd's mirrors send the upstream host as <c>?ns=</c>;
    /// without it, a path names the repository if only one registry has it (docker.io first),
    /// and a full name (<c>quay.io/kubevirt/virt-api</c>) names it directly.
    /// </summary>
    public CatalogRepository? Find(string path, string? ns)
    {
        if (ns is not null)
        {
            var host = ImageReference.RegistryOfHost(ns);
            return _byName.GetValueOrDefault($"{host}/{path}") ?? (host == ImageReference.DockerHub && !path.Contains('/') ? _byName.GetValueOrDefault($"{host}/library/{path}") : null);
        }
        if (_byName.TryGetValue(path, out var direct))
        {
            return direct;
        }
        var matches = _byName.Values.Where(r => r.Repository == path).OrderBy(r => r.Registry == ImageReference.DockerHub ? 0 : 1).ThenBy(r => r.Registry, StringComparer.Ordinal).ToList();
        return matches.FirstOrDefault();
    }
}
