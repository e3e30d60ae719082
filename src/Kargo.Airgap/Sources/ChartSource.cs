using Kargo.Airgap.Oci;
using Kargo.Airgap.Sources.Charts;
using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Sources;

/// <summary>
/// Helm charts from where they are published: an HTTP chart repository (its index.yaml names the
/// archive) through the file source, or an OCI registry (the chart is an OCI artifact whose layer is
/// the archive) through the image source. Either way the archive lands in the cache, checked by sha256.
/// </summary>
public sealed class ChartSource(FileSource files, ImageSource images, OciLayout cache)
{
    /// <summary>With --release-mirror, an archive URL the index gives absolutely (another host) is fetched from the mirror too (a relative one is on the mirror already).</summary>
    public Func<string, string> Mirrored { get; init; } = url => url;

    /// <summary>Finds the chart's version where it is published and pins what it serves now.</summary>
    public async Task<LockedChart> ResolveAsync(SpecChart chart, CancellationToken cancellationToken)
    {
        if (chart.Repo is { } repo)
        {
            var index = ChartRepositoryIndex.IndexUrl(repo);
            var indexPin = await files.ResolveAsync(new SpecFile(index, "index.yaml", null, chart.Line), cancellationToken);
            var (url, sha256) = ChartRepositoryIndex.Find(await File.ReadAllTextAsync(await files.FetchAsync(indexPin, cancellationToken), cancellationToken), chart, Mirrored);
            LockedFile archive;
            try
            {
                archive = await files.ResolveAsync(new SpecFile(url, chart.ArchiveName, sha256, chart.Line), cancellationToken);
            }
            catch (KargoException e) when (sha256 is not null && e.InnerException is DigestMismatchException)
            {
                throw new KargoException($"{url} does not match the sha256 {sha256} that {index} gives for {chart.Name} {chart.Version}: the repository is inconsistent or the download was altered. Nothing was kept", e);
            }
            return new LockedChart { Name = chart.Name, Version = chart.Version, Source = chart.Source, Url = url, Sha256 = archive.Sha256, Size = archive.Size };
        }
        var manifest = await images.ResolveAsync(chart.OciTagged, cancellationToken);
        var layer = await FetchLayerAsync(chart, chart.OciTagged.WithDigest(manifest.Digest), cancellationToken);
        return new LockedChart { Name = chart.Name, Version = chart.Version, Source = chart.Source, Manifest = manifest.Digest, Sha256 = layer.Digest.Hex, Size = layer.Size };
    }

    /// <summary>The pinned archive in the cache (fetched if missing); a changed archive is refused.</summary>
    public async Task<string> FetchAsync(SpecChart chart, LockedChart pin, CancellationToken cancellationToken)
    {
        if (pin.Url is { } url)
        {
            return await files.FetchAsync(new LockedFile { Url = url, Sha256 = pin.Sha256, Size = pin.Size }, cancellationToken);
        }
        var archive = Digest.Parse("sha256:" + pin.Sha256);
        if (!cache.Contains(archive, pin.Size))
        {
            var layer = await FetchLayerAsync(chart, chart.OciTagged.WithDigest(pin.Manifest!.Value), cancellationToken);
            if (layer.Digest != archive)
            {
                throw new KargoException($"{chart}: manifest {pin.Manifest} holds the archive {layer.Digest}, but the lock pins sha256 {pin.Sha256}: the lock is damaged; run 'kargo-bundle lock' again");
            }
        }
        return cache.BlobPath(archive);
    }

    /// <summary>The chart archive layer of a Helm OCI artifact, fetched into the cache (the manifest is cached by the resolve).</summary>
    private async Task<Descriptor> FetchLayerAsync(SpecChart chart, ImageReference pinned, CancellationToken cancellationToken)
    {
        var manifest = await images.ResolveAsync(pinned, cancellationToken);
        var document = ManifestDocument.Parse(cache.ReadBlob(manifest.Digest), null, pinned.ToString());
        if (document.IsIndex || document.Config?.MediaType != MediaTypes.HelmConfig)
        {
            throw new KargoException($"oci://{pinned.Name}:{chart.OciTagged.Tag} is not a Helm chart (its config is {Terminal.Printable(document.Config?.MediaType ?? document.MediaType)}, not {MediaTypes.HelmConfig}): check oci: and version: of {chart.Name}");
        }
        var layers = document.Layers.Where(l => l.MediaType is MediaTypes.HelmChartContent or MediaTypes.HelmChartContentLegacy).ToList();
        if (layers.Count != 1)
        {
            throw new KargoException($"oci://{pinned.Name}:{chart.OciTagged.Tag} has {layers.Count} chart archive layers ({MediaTypes.HelmChartContent}); a Helm chart has one");
        }
        await cache.PutBlobAsync(images, pinned, layers[0], null, cancellationToken);
        return layers[0];
    }
}
