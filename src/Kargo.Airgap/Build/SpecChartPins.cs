using Kargo.Airgap.Sources;
using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Build;

/// <summary>The stage lock and build share for spec.charts: each chart pinned, its archive in the cache, its images found.</summary>
internal static class SpecChartPins
{
    public static async Task<IReadOnlyList<ChartFindings>> PinAsync(BundleSpec spec, LockFile lockFile, string lockPath, PinMode mode, ChartSource? charts, string? helm,
        Action<string>? log, CancellationToken cancellationToken)
    {
        if (spec.Charts.Count == 0)
        {
            return [];
        }
        if (charts is null)
        {
            throw SpecFiles.NoFileSource();
        }
        if (mode == PinMode.LockedOnly && spec.Charts.Where(c => lockFile.FindChart(c) is null).ToList() is { Count: > 0 } unpinned)
        {
            throw Pinning.NotPinned(spec, lockPath, unpinned.Select(c => $"{c} ({spec.Where(c.Line)})"));
        }
        var found = new List<ChartFindings>();
        foreach (var chart in spec.Charts)
        {
            var pin = lockFile.FindChart(chart);
            if (pin is null || mode == PinMode.ResolveAll)
            {
                LockedChart resolved;
                try
                {
                    resolved = await charts.ResolveAsync(chart, cancellationToken);
                }
                catch (KargoException e)
                {
                    throw new KargoException($"{spec.Where(chart.Line)}: {e.Message}", e);
                }
                if (pin is not null && pin.Sha256 != resolved.Sha256)
                {
                    throw new KargoException($"{spec.Where(chart.Line)}: {chart} changed upstream: {lockPath} pins its archive as sha256 {pin.Sha256}, it now serves {resolved.Sha256}. " +
                        $"A published chart version should never change; ask its publisher. To accept the new archive, remove the chart's entry from {lockPath} and lock again");
                }
                if (pin is null)
                {
                    log?.Invoke($"resolved {chart} to sha256 {resolved.Sha256} ({resolved.Size} bytes{(resolved.Manifest is { } m ? $", manifest {m}" : "")}): it was not in {lockPath}, now added");
                }
                pin = resolved;
                lockFile.Pin(pin);
            }
            var archive = await charts.FetchAsync(chart, pin, cancellationToken);
            var findings = await ChartImages.FindAsync(chart, pin, archive, helm, cancellationToken);
            if (findings.Method == ChartImageMethod.Conventions)
            {
                log?.Invoke($"{chart}: no helm to render it with, so its {findings.Images.Count} images were found from its {Sources.Charts.ChartConventions.ImagesAnnotation} annotation and values conventions. " +
                    "Check them against what the chart runs (a template may build names another way): put helm on PATH (or --helm) to render it, and add what is missing to spec.images");
            }
            found.Add(findings);
        }
        return found;
    }
}
