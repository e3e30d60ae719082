using System.Text.Json;
using Kargo.Airgap.Bundle;
using Kargo.Airgap.Engine;
using Kargo.Airgap.Oci;
using Kargo.Airgap.Sources;
using Kargo.Airgap.Sources.Releases;
using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Build;

public sealed record BuildRequest
{
    public required string SpecPath { get; init; }

    /// <summary>The bundle file, or a folder to write <c>NAME-VERSION.kargo</c> into.</summary>
    public required string Output { get; init; }

    public required string LockPath { get; init; }

    /// <summary>Use only what the lock pins; resolve nothing.</summary>
    public bool Locked { get; init; }

    /// <summary>Replace a multi-platform index by one that lists only the kept platforms.</summary>
    public bool RewriteIndex { get; init; }

    /// <summary>Blobs downloaded at once.</summary>
    public int Parallelism { get; init; } = 4;

    /// <summary>A mirror of release hosts (MIRROR/github.com/…) to fetch k3s, KubeVirt and CDI assets from.</summary>
    public string? ReleaseMirror { get; init; }

    /// <summary>Signs the bundle; null builds it unsigned.</summary>
    public SigningKey? Key { get; init; }

    /// <summary>The largest part; null writes one file, or parts below 4 GiB on a FAT file system.</summary>
    public long? SplitSize { get; init; }

    /// <summary>A folder of published kargo-offline binaries (RID/kargo-offline) to carry in bin/, with an install.sh beside the bundle.</summary>
    public string? OfflineBinaries { get; init; }

    /// <summary>The Docker or Podman engine for spec.images with source: docker (default: DOCKER_HOST, then the usual sockets).</summary>
    public Uri? Engine { get; init; }

    /// <summary>Build by difference: carry only what this bundle (or its kargo-bundle.json) lacks.</summary>
    public string? Since { get; init; }

    /// <summary>The folder was found rather than asked for: when it lacks a platform, build without binaries and say so.</summary>
    public bool OfflineBinariesFound { get; init; }

    /// <summary>--helm: the helm that renders charts to find their images (null: helm on PATH; "none": the chart's conventions).</summary>
    public string? Helm { get; init; }
}

public sealed record BuildReport(
    string BundlePath,
    IReadOnlyList<string> Files,
    Inventory Inventory,
    IReadOnlyList<PinnedImage> NewlyPinned,
    int BlobsFetched,
    long BytesFetched,
    int BlobsCached,
    int BlobsResumed,
    string? InstallScript);

/// <summary>
/// <c>kargo-bundle build</c>: pins the spec's images, brings every manifest and blob into the
/// cache (only what is missing), then writes the bundle from the cache.
/// </summary>
public sealed class BundleBuilder(ImageSource images, OciLayout cache, FileSource? files = null)
{
    /// <summary>Where a build tells what it is doing, one line at a time.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Bytes as they arrive from registries or go into the bundle.</summary>
    public IProgress<long>? Progress { get; init; }

    /// <summary>The "build" phase: bytes written into the bundle, of its total.</summary>
    public IPhaseProgress? Phases { get; init; }

    /// <summary>Tells the file system type of a folder (from /proc/self/mounts unless a test says otherwise).</summary>
    public Func<string, string?> FileSystemOf { get; init; } = PartSize.FileSystemOf;

    public async Task<BuildReport> BuildAsync(BuildRequest request, CancellationToken cancellationToken = default)
    {
        var releases = new ReleaseCatalog(request.ReleaseMirror);
        var spec = releases.Expand(SpecLoader.Load(request.SpecPath));
        var since = request.Since is { } basePath ? DiffBase.Load(basePath) : null;
        var output = OutputPath(request.Output, spec);
        var lockFile = request.Locked ? LockFile.Load(request.LockPath) : LockFile.LoadOrEmpty(request.LockPath);
        var mode = request.Locked ? PinMode.LockedOnly : PinMode.ResolveMissing;
        // Files first: the manifests among them name images too.
        var pinnedFiles = await FilePinning.PinAsync(spec, lockFile, request.LockPath, mode, ResolveFileAsync, cancellationToken);
        var fileItems = await FileItemsAsync(spec, pinnedFiles, cancellationToken);
        var binaries = await BinaryItemsAsync(request, spec, cancellationToken);
        K3sChecksums.Check(spec, fileItems);
        var chartPins = lockFile.Charts.Count();
        var helm = spec.Charts.Count == 0 ? null : Sources.Charts.HelmTemplate.Locate(request.Helm, Environment.GetEnvironmentVariable("PATH"));
        var charts = await SpecChartPins.PinAsync(spec, lockFile, request.LockPath, mode, files is null ? null : new ChartSource(files, images, cache) { Mirrored = releases.Hosts.Mirrored }, helm, Log, cancellationToken);
        fileItems = [.. fileItems, .. ChartItems(charts)];
        using var pinnedImages = await SpecImages.PinAsync(spec, pinnedFiles, files, charts, lockFile, request.LockPath, mode, images, cache, request.Engine, cancellationToken);
        (spec, var pinned, var engine) = pinnedImages;
        var newlyPinned = SaveNewPins(request.LockPath, lockFile, pinnedFiles, pinned, lockFile.Charts.Count() != chartPins);

        var set = await PlanImagesAsync(spec, pinned, engine, request.RewriteIndex, cancellationToken);
        fileItems = await AddDisksAsync(spec, pinnedFiles, fileItems, set, cancellationToken);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var downloads = BlobDownloads.Plan(images, cache, set.Plans, request.Parallelism, Log, Progress,
            since is null ? null : blob => !since.Has(BundleLayout.Blob(blob.Digest), blob.Digest.Hex));
        var (items, taken) = Carried(since, Items(spec, lockFile, set.Plans, downloads, fileItems, binaries), binaries);
        var inventory = InventoryOf(spec, set, items, taken) with { Charts = InventoryCharts(charts) };
        var split = PrepareOutput(output, request.SplitSize);
        var (written, totals) = await WriteAsync(output, split, inventory, request.Key, items, downloads, stop);
        Log?.Invoke($"blobs: {totals.Fetched} fetched ({totals.Bytes} bytes), {totals.Cached} already cached, {totals.Resumed} resumed; {totals.InPlace} written into the bundle and the cache in one pass");
        Log?.Invoke($"bundle: {inventory.Entries.Count} entries after the inventory ({inventory.TotalSize} bytes) in {clock.Elapsed.TotalSeconds:0.00} s");
        var script = binaries.Count > 0 ? InstallScript.Write(output, inventory) : null;
        return new BuildReport(output, written, inventory, newlyPinned, totals.Fetched, totals.Bytes, totals.Cached, totals.Resumed, script);
    }

    /// <summary>The images of a bundle, with the component and the rule of each (by the name index.json gives it).</summary>
    private sealed class ImageSet
    {
        public List<ImagePlan> Plans { get; } = [];
        public Dictionary<string, string> Components { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, ImageRule> FoundBy { get; } = new(StringComparer.Ordinal);

        public void Add(ImagePlan plan, string? component, ImageRule rule, bool replace = false)
        {
            Plans.Add(plan);
            if (replace)
            {
                FoundBy[plan.Reference.RefName] = rule;
            }
            else
            {
                FoundBy.TryAdd(plan.Reference.RefName, rule);
            }
            if (component is not null)
            {
                Components[plan.Reference.RefName] = component;
            }
        }
    }

    /// <summary>Says what the lock lacked and now pins, and saves it when anything was added.</summary>
    private List<PinnedImage> SaveNewPins(string lockPath, LockFile lockFile, IReadOnlyList<PinnedFile> pinnedFiles, IReadOnlyList<PinnedImage> pinned, bool chartsAdded)
    {
        foreach (var file in pinnedFiles.Where(f => f.NewlyResolved))
        {
            Log?.Invoke($"downloaded {file.File.Source} (sha256 {file.Pin!.Sha256}, {file.Pin.Size} bytes): it was not in {lockPath}, now added");
        }
        var newlyPinned = pinned.Where(p => p.NewlyResolved).ToList();
        foreach (var pin in newlyPinned)
        {
            Log?.Invoke($"resolved {pin.Pin.Reference} to {pin.Pin.Digest}: it was not in {lockPath}, now added");
        }
        if (newlyPinned.Count > 0 || pinnedFiles.Any(f => f.NewlyResolved) || chartsAdded)
        {
            lockFile.Save(lockPath);
        }
        return newlyPinned;
    }

    private async Task<ImageSet> PlanImagesAsync(BundleSpec spec, IReadOnlyList<PinnedImage> pinned, EngineImages? engine, bool rewriteIndex, CancellationToken cancellationToken)
    {
        var set = new ImageSet();
        foreach (var pin in pinned)
        {
            var plan = engine?.Handles(pin.Image.Reference) == true
                ? await engine.PlanAsync(pin.Image.Reference, pin.Pin, spec.Platforms, cancellationToken)
                : await images.PlanAsync(pin.Image.Reference, pin.Pin, spec.Platforms, rewriteIndex, cancellationToken);
            set.Add(plan, pin.Image.Component, pin.Image.FoundBy);
        }
        return set;
    }

    /// <summary>Each VM disk as a vm/ file and as a containerDisk image, as the spec delivers it; vm/ entries in path order like every folder.</summary>
    private async Task<List<BundleItem>> AddDisksAsync(BundleSpec spec, IReadOnlyList<PinnedFile> pinnedFiles, List<BundleItem> fileItems, ImageSet set, CancellationToken cancellationToken)
    {
        var disks = new List<BundleItem>();
        foreach (var vm in spec.VmImages)
        {
            var pin = pinnedFiles.Single(f => f.Kind == SpecFileKind.VmDisk && f.File == vm.Download).Pin!;
            var disk = await Files.FetchAsync(pin, cancellationToken);
            DiskFormats.Check(disk, vm);
            if (vm.Delivery.HasFlag(DiskDelivery.File))
            {
                disks.Add(BundleItem.FromFile(BundleLayout.Disk(vm.FileName), disk, pin.Size, pin.Sha256));
            }
            if (vm.Delivery.HasFlag(DiskDelivery.ContainerDisk))
            {
                set.Add(await ContainerDisk.BuildAsync(cache, vm, disk, pin.Sha256, spec.Platforms, cancellationToken), ComponentNames.Vm, ImageRule.ContainerDisk, replace: true);
                Log?.Invoke($"wrapped {vm.FileName} as containerDisk {vm.Image.RefName}");
            }
        }
        return [.. fileItems, .. disks.OrderBy(i => i.Path, StringComparer.Ordinal)];
    }

    /// <summary>What this bundle carries: all, or with --since what the base lacks (the binaries always: install.sh takes them from the bundle itself).</summary>
    private (List<BundleItem> Items, InventoryBase? Taken) Carried(DiffBase? since, List<BundleItem> all, IReadOnlyList<BundleItem> binaries)
    {
        if (since is null)
        {
            return (all, null);
        }
        bool FromBase(BundleItem item) => !binaries.Contains(item) && since.Has(item.Path, item.Sha256);
        var items = all.Where(i => !FromBase(i)).ToList();
        Log?.Invoke($"--since {since.Inventory.Name} {since.Inventory.Version}: carrying {items.Count} of {all.Count} entries ({items.Sum(i => i.Size)} of {all.Sum(i => i.Size)} bytes); the rest is taken from it");
        return (items, since.Describe(all.Where(FromBase).Select(i => i.ToEntry())));
    }

    private static Inventory InventoryOf(BundleSpec spec, ImageSet set, List<BundleItem> items, InventoryBase? taken)
    {
        var inventory = new Inventory
        {
            FormatVersion = taken is null ? Inventory.CurrentFormatVersion : Inventory.DiffFormatVersion,
            Base = taken,
            Name = spec.Name,
            Version = spec.Version,
            Platforms = [.. spec.Platforms.Select(p => p.ToString())],
            Components = spec.Components.Count == 0 ? null : [.. spec.Components.Select(c => new InventoryComponent(c.Name, c.Version, c.FeatureGates.Count == 0 ? null : c.FeatureGates))],
            Source = new InventorySource(SpecEntry(spec), LockEntry),
            ManifestNamespaces = ManifestNamespaces(spec),
            Images = [.. set.Plans.OrderBy(p => p.Reference.RefName, StringComparer.Ordinal).Select(p => new InventoryImage
            {
                Reference = p.Reference.RefName,
                Digest = p.Top.Digest,
                MediaType = p.Top.MediaType,
                Platforms = [.. p.Platforms.Select(x => x.ToString())],
                Size = p.Size,
                Component = set.Components.GetValueOrDefault(p.Reference.RefName),
                FoundBy = set.FoundBy.TryGetValue(p.Reference.RefName, out var rule) ? rule.Key() : null,
            })],
            Entries = [.. items.Select(i => i.ToEntry())],
        };
        return InventoryRules.Problem(inventory) is { } problem
            ? throw new KargoException($"the bundle's inventory would hold what no reader accepts: {problem}")
            : inventory;
    }

    /// <summary>The output's folder, cleared of what killed builds left; the part size (FAT cannot hold 4 GiB).</summary>
    private long? PrepareOutput(string output, long? split)
    {
        var folder = Path.GetDirectoryName(output)!;
        Directory.CreateDirectory(folder);
        foreach (var abandoned in PartedWriteStream.RemoveAbandoned(output))
        {
            Log?.Invoke($"removed {abandoned}, left by a build that was killed");
        }
        if (split is null && PartSize.IsFat(FileSystemOf(folder)))
        {
            split = PartSize.Fat32Limit;
            Log?.Invoke($"{folder} is on a FAT file system, which cannot hold a file of 4 GiB: writing parts of at most {split} bytes (choose with --split)");
        }
        return split;
    }

    /// <summary>
    /// The bundle, written while blobs download: each download writes its blob into its place in the
    /// bundle as it writes the cache (one pass), the writer puts everything else around them. A
    /// failure stops the downloads too, and nothing is left at the output.
    /// </summary>
    private async Task<(IReadOnlyList<string> Written, FetchTotals Totals)> WriteAsync(string output, long? split, Inventory inventory, SigningKey? key,
        IReadOnlyList<BundleItem> items, BlobDownloads downloads, CancellationTokenSource stop)
    {
        using var writer = BundleWriter.Create(output, split, inventory, key, items);
        try
        {
            downloads.Start(blob => writer.DataOffset(BundleLayout.Blob(blob.Digest)) is { } place ? (position, bytes) => writer.WriteBlobAt(place, position, bytes) : null, stop.Token);
            var writing = Phases?.Begin(PhaseNames.Build, inventory.TotalSize);
            var written = await writer.WriteAsync(writing is null ? Progress : new BothProgress(Progress, writing), stop.Token);
            var totals = await downloads.Completion;
            Phases?.Complete(PhaseNames.Build);
            return (written, totals);
        }
        catch
        {
            await stop.CancelAsync();
            await downloads.Completion.ContinueWith(_ => { }, TaskScheduler.Default);
            throw;
        }
    }

    private async Task<IReadOnlyList<BundleItem>> BinaryItemsAsync(BuildRequest request, BundleSpec spec, CancellationToken cancellationToken)
    {
        if (request.OfflineBinaries is not { } folder)
        {
            return [];
        }
        if (request.OfflineBinariesFound && !OfflineBinaries.Covers(folder, spec.Platforms))
        {
            Log?.Invoke($"{folder} lacks kargo-offline for some of {string.Join(", ", spec.Platforms)}: the bundle carries no kargo-offline (run scripts/publish.sh, or give --offline-bin)");
            return [];
        }
        var items = await OfflineBinaries.ItemsAsync(folder, spec.Platforms, cancellationToken);
        Log?.Invoke($"carrying kargo-offline for {string.Join(", ", items.Select(i => i.Path))}");
        return items;
    }

    private const string LockEntry = BundleLayout.Lock;

    /// <summary>Each chart's archive (from the cache) and, when the spec gives values, its values file: charts/ entries in path order.</summary>
    private static IEnumerable<BundleItem> ChartItems(IReadOnlyList<ChartFindings> charts) => charts
        .SelectMany(c => new[]
        {
            BundleItem.FromFile(BundleLayout.Chart(c.Chart.ArchiveName), c.Archive, c.Pin.Size, c.Pin.Sha256),
            c.Chart.Values is { } values ? BundleItem.FromBytes(BundleLayout.ChartValues(c.Chart.ArchiveName), System.Text.Encoding.UTF8.GetBytes(values)) : null,
        })
        .OfType<BundleItem>()
        .OrderBy(i => i.Path, StringComparer.Ordinal);

    /// <summary>What install needs of each chart: its entries, the release, and the images it runs (how they were found).</summary>
    private static IReadOnlyList<InventoryChart>? InventoryCharts(IReadOnlyList<ChartFindings> charts) => charts.Count == 0 ? null :
    [
        .. charts.OrderBy(c => c.Chart.ReleaseName, StringComparer.Ordinal).Select(c => new InventoryChart
        {
            Name = c.Chart.Name,
            Version = c.Chart.Version,
            ReleaseName = c.Chart.ReleaseName,
            Namespace = c.Chart.Namespace,
            Archive = BundleLayout.Chart(c.Chart.ArchiveName),
            Values = c.Chart.Values is null ? null : BundleLayout.ChartValues(c.Chart.ArchiveName),
            FoundBy = c.MethodKey,
            Images = [.. c.Images.Select(i => i.Reference.ToString()).Order(StringComparer.Ordinal)],
        }),
    ];

    private static SortedDictionary<string, string>? ManifestNamespaces(BundleSpec spec)
    {
        var namespaces = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var manifest in spec.Manifests.Where(m => m.Namespace is not null))
        {
            namespaces[BundleLayout.Manifest(manifest.Name)] = manifest.Namespace!;
        }
        return namespaces.Count == 0 ? null : namespaces;
    }

    /// <summary>Named after metadata.name, which is always a safe entry name; the file's own name may not be.</summary>
    private static string SpecEntry(BundleSpec spec) => BundleLayout.Spec(spec.Name);

    /// <summary>Every entry after the inventory, in the fixed order of the bundle format.</summary>
    private Task<LockedFile> ResolveFileAsync(SpecFile file, CancellationToken cancellationToken) => Files.ResolveAsync(file, cancellationToken);

    private FileSource Files => files ?? throw SpecFiles.NoFileSource();

    /// <summary>spec.files and spec.manifests as bundle entries: URLs from the cache (fetched if missing), paths beside the spec.</summary>
    private async Task<List<BundleItem>> FileItemsAsync(BundleSpec spec, IReadOnlyList<PinnedFile> pinned, CancellationToken cancellationToken)
    {
        var items = new List<BundleItem>();
        foreach (var file in pinned.Where(f => f.Kind != SpecFileKind.VmDisk).OrderBy(f => f.Kind == SpecFileKind.File ? 0 : 1).ThenBy(f => f.File.Name, StringComparer.Ordinal))
        {
            var entry = BundleLayout.Entry(file.Kind, file.File.Name);
            if (file.Pin is { } pin)
            {
                items.Add(BundleItem.FromFile(entry, await Files.FetchAsync(pin, cancellationToken), pin.Size, pin.Sha256));
                continue;
            }
            var local = await SpecFiles.PathAsync(spec, file, files, cancellationToken);
            var sha256 = (await Digest.ComputeFileAsync(local, cancellationToken)).Hex;
            if (file.File.Sha256 is { } wanted && wanted != sha256)
            {
                throw new KargoException($"{spec.Where(file.File.Line)}: checksum mismatch: the spec says sha256 {wanted} for {local}, the file hashes to {sha256}");
            }
            items.Add(BundleItem.FromFile(entry, local, new FileInfo(local).Length, sha256));
        }
        return items;
    }

    private List<BundleItem> Items(BundleSpec spec, LockFile lockFile, IReadOnlyList<ImagePlan> plans, BlobDownloads downloads, IReadOnlyList<BundleItem> fileItems, IReadOnlyList<BundleItem> binaries)
    {
        var index = new OciIndexJson
        {
            Manifests = [.. plans.OrderBy(p => p.Reference.RefName, StringComparer.Ordinal).Select(p => p.Top with
            {
                Annotations = new(p.Top.Annotations ?? [])
                {
                    [Annotations.RefName] = p.Reference.RefName,
                    [Annotations.ContainerdName] = p.Reference.RefName,
                },
            })],
        };
        // The binaries first: install.sh takes them out with tar --occurrence, which stops reading there.
        var items = new List<BundleItem>(binaries)
        {
            BundleItem.FromBytes(BundleLayout.OciLayoutFile, JsonSerializer.SerializeToUtf8Bytes(new OciLayoutMarker(), OciJsonContext.Default.OciLayoutMarker)),
            BundleItem.FromBytes(BundleLayout.OciIndex, JsonSerializer.SerializeToUtf8Bytes(index, OciJsonContext.Default.OciIndexJson)),
        };
        var blobs = plans.SelectMany(p => p.Manifests.Concat(p.Blobs)).DistinctBy(d => d.Digest).OrderBy(d => d.Digest.Hex, StringComparer.Ordinal);
        items.AddRange(blobs.Select(b => BundleItem.FromFile(BundleLayout.Blob(b.Digest), cache.BlobPath(b.Digest), b.Size, b.Digest.Hex) with
        {
            Downloading = downloads.ReadyOf(b.Digest),
        }));
        items.AddRange(fileItems);
        items.Add(BundleItem.FromBytes(SpecEntry(spec), File.ReadAllBytes(spec.File)));
        items.Add(BundleItem.FromBytes(LockEntry, lockFile.ToBytes()));
        return items;
    }

    private static string OutputPath(string output, BundleSpec spec)
    {
        var isFolder = Directory.Exists(output) || output.EndsWith('/');
        return Path.GetFullPath(isFolder ? Path.Combine(output, $"{spec.Name}-{spec.Version}.kargo") : output);
    }
}
