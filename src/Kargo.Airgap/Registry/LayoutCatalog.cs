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
    public static LayoutCatalog Load(string folder)
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
            index = JsonSerializer.Deserialize(File.ReadAllBytes(layout.IndexPath), OciJsonContext.Default.OciIndexJson) ?? new OciIndexJson();
        }
        catch (JsonException e)
        {
            throw new KargoException($"{layout.IndexPath} is not a valid OCI index: {e.Message}", e);
        }
        var catalog = new LayoutCatalog(layout);
        foreach (var entry in index.Manifests)
        {
            if (entry.Annotations?.GetValueOrDefault(Annotations.RefName) is not { } refName)
            {
                catalog._skipped.Add($"{entry.Digest}: no {Annotations.RefName} annotation names it");
                continue;
            }
            ImageReference reference;
            try
            {
                reference = ImageReference.Parse(refName);
            }
            catch (KargoException e)
            {
                // An entry some other tool wrote, named in its own way: said, not served.
                catalog._skipped.Add($"{entry.Digest}: {e.Message}");
                continue;
            }
            var repository = catalog.Repository(reference.Registry, reference.Repository);
            if (reference.Tag is { } tag)
            {
                repository.Tags[tag] = entry;
            }
            catalog._images.Add((reference, entry));
            catalog.Walk(repository, entry, refName, top: true);
        }
        return catalog;
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

    private void Walk(CatalogRepository repository, Descriptor descriptor, string refName, bool top)
    {
        if (!Present(descriptor))
        {
            if (top)
            {
                throw Missing(descriptor, $"the manifest of {refName}");
            }
            return; // a platform the bundle left out
        }
        repository.Manifests[descriptor.Digest] = descriptor;
        var document = ManifestDocument.Parse(Layout.ReadBlob(descriptor.Digest), descriptor.MediaType, refName);
        foreach (var child in document.Manifests)
        {
            Walk(repository, child, refName, top: false);
        }
        foreach (var blob in document.Blobs)
        {
            if (!Present(blob))
            {
                throw Missing(blob, $"a blob of {refName}");
            }
            repository.Blobs.Add(blob.Digest);
        }
    }

    private bool Present(Descriptor descriptor) => Layout.Contains(descriptor.Digest, descriptor.Size);

    private KargoException Missing(Descriptor descriptor, string what) =>
        new($"{Layout.Root}: {what}, {descriptor.Digest} ({descriptor.Size} bytes), is missing or has the wrong size. Unpack the bundle again");

    /// <summary>
    /// The repository a request names. containerd's mirrors send the upstream host as <c>?ns=</c>;
    /// without it, a path names the repository if only one registry has it (docker.io first),
    /// and a full name (<c>quay.io/kubevirt/virt-api</c>) names it directly.
    /// </summary>
    public CatalogRepository? Find(string path, string? ns)
    {
        if (ns is not null)
        {
            var host = ns is "registry-1.docker.io" or "index.docker.io" ? ImageReference.DockerHub : ns;
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
