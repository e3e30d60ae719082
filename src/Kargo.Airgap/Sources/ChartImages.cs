using Kargo.Airgap.Sources.Charts;
using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Sources;

/// <summary>How a chart's images were found.</summary>
public enum ChartImageMethod
{
    /// <summary>helm template with the spec's values, then the rules of spec.manifests: what the release applies.</summary>
    Rendered,

    /// <summary>No helm: the chart's annotation and values conventions, to be checked.</summary>
    Conventions,
}

/// <summary>A pinned chart, its archive in the cache, and the images it runs.</summary>
public sealed record ChartFindings(SpecChart Chart, LockedChart Pin, string Archive, ChartImageMethod Method, IReadOnlyList<DiscoveredImage> Images)
{
    /// <summary>The method's name in the lock's output, the inventory and inspect.</summary>
    public string MethodKey => Method == ChartImageMethod.Rendered ? "helm-template" : "chart-conventions";
}

/// <summary>Finds the images each chart runs: rendered by helm when there is one, else by the chart's conventions.</summary>
public static class ChartImages
{
    public static async Task<ChartFindings> FindAsync(SpecChart chart, LockedChart pin, string archive, string? helm, CancellationToken cancellationToken)
    {
        var entry = $"charts/{chart.ArchiveName}";
        if (helm is not null)
        {
            var rendered = await HelmTemplate.RenderAsync(helm, chart, archive, cancellationToken);
            return new ChartFindings(chart, pin, archive, ChartImageMethod.Rendered, ManifestImages.Discover(rendered, $"{entry} (helm template)"));
        }
        return new ChartFindings(chart, pin, archive, ChartImageMethod.Conventions, ChartConventions.Find(ChartArchive.Read(archive, entry), chart.Values, entry));
    }

    /// <summary>The spec's images followed by the charts' that it lacks, each with its chart as component.</summary>
    public static IReadOnlyList<SpecImage> With(IReadOnlyList<SpecImage> images, IEnumerable<ChartFindings> charts)
    {
        var all = images.ToList();
        var seen = all.Select(i => i.Reference.ToString()).ToHashSet(StringComparer.Ordinal);
        foreach (var chart in charts)
        {
            foreach (var image in chart.Images.Where(i => seen.Add(i.Reference.ToString())))
            {
                all.Add(new SpecImage(image.Reference, image.Reference.ToString(), 0, image.Origin, chart.Chart.Name) { FoundBy = image.Rule });
            }
        }
        return all;
    }
}
